"""Project-scoped access and the role table (RULES.md "Who may do what", issue 6)."""

import pytest

from wuye.properties.models import Organisation, Project
from wuye.testing.factories import staff
from wuye.web.access import Forbidden, may, projects_for, require


@pytest.fixture
def two_projects(db):
    org = Organisation.objects.create(code="HTG", name="華庭集團")
    return (
        Project.objects.create(organisation=org, code="HT", name="華庭", kind="office"),
        Project.objects.create(organisation=org, code="LY", name="麗苑", kind="residential"),
    )


def test_staff_see_only_their_projects(two_projects):
    ht, ly = two_projects
    assistant = staff("a1", "assistant", ht)
    boss = staff("m1", "manager", company_wide=True)
    assert list(projects_for(assistant)) == [ht]
    assert list(projects_for(boss)) == [ht, ly]


def test_actions_follow_the_role_table_per_project(two_projects):
    ht, ly = two_projects
    finance = staff("f1", "finance", ht)
    assistant = staff("a1", "assistant", ht, ly)
    assert may(finance, "record_payment", ht)
    assert not may(finance, "record_payment", ly)  # not their project
    assert not may(assistant, "record_payment", ht)  # not their role
    assert may(assistant, "sign_for", ly)
    with pytest.raises(Forbidden, match="finance"):
        require(assistant, "void_bill", ht)

"""The dunning run (E2, G1) and the F1 reconciliation of notices with payments.

A run has two phases (STYLE §6): `propose_run` computes, per account, the next step of
its policy (the pure `ladder.next_step`) and stores it as a proposal that staff may trim;
`execute_run` recomputes each remaining line under the project's run lock and writes
only what still holds, so a rerun or an overlapping run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from wuye.billing import numbers
from wuye.billing.models import Contract
from wuye.bulk import insert_objects, reserve_ids
from wuye.dunning import ladder
from wuye.dunning import selectors as sel
from wuye.dunning.models import (
    DELIVERED_ACTIONS,
    Action,
    Contact,
    DunningRun,
    DunningStep,
    Episode,
    Exclusion,
    Notice,
    NoticeLine,
    ProposalLine,
    RunMark,
)
from wuye.errors import NotFound, WuyeError
from wuye.ledger.late_fee_run import run_late_fees
from wuye.ledger.models import Entry
from wuye.money import ZERO, money
from wuye.properties.models import Account, Project
from wuye.sql import InIds
from wuye.workdays.services import next_working_day


def to_ladder(step: DunningStep) -> ladder.Step:
    return ladder.Step(
        position=step.position,
        days_overdue=step.days_overdue,
        gap_days=step.gap_days,
        min_arrears=step.min_arrears,
        min_age_days=step.min_age_days,
        without_result=step.without_result,
        repeat_every_days=step.repeat_every_days,
        waits_for_delivery=step.action in DELIVERED_ACTIONS,
    )


@dataclass
class Candidate:
    account_id: int  # the lead account: its bill is the oldest overdue one
    project_id: int
    customer_id: int
    step: DunningStep | None
    arrears: sel.Arrears
    excluded_reason: str = ""
    reason: str = ""

    @property
    def payer(self) -> tuple[int, int]:
        return (self.project_id, self.customer_id)


def _projects(project_code: str | None) -> list[Project]:
    projects = Project.objects.order_by("code")
    if project_code:
        projects = projects.filter(code=project_code)
        if not projects.exists():
            raise NotFound("project", project_code)
    return list(projects)


def _refuse_earlier(projects: list[Project], as_of: dt.date, *, lock: bool) -> None:
    """A run for a date earlier than the project's latest executed run is refused."""
    ids = [p.pk for p in projects]
    if lock:
        RunMark.objects.bulk_create([RunMark(project_id=i) for i in ids], ignore_conflicts=True)
        marks = RunMark.objects.select_for_update().filter(project_id__in=ids).order_by("project")
    else:
        marks = RunMark.objects.filter(project_id__in=ids)
    codes = {p.pk: p.code for p in projects}
    for mark in marks:
        if mark.last_as_of and as_of < mark.last_as_of:
            raise WuyeError(
                "run_before_latest",
                f"project {codes[mark.project_id]}: a run for {mark.last_as_of} was already "
                f"executed; {as_of} is earlier",
                f"項目 {codes[mark.project_id]} 已執行 {mark.last_as_of} 的催繳，不能執行較早的 {as_of}",
            )


ISSUE_CHUNK = 5000  # candidates per slice of proposal lines and notices
ARREARS_CHUNK = 5000  # customers per chunk of the accounts in arrears


def _candidates(projects: list[Project], as_of: dt.date, customer_ids=None) -> list[Candidate]:
    """Per payer in arrears in a project: the step E2 allows today (pure decision). The
    accounts in arrears are read in chunks of customers (`sel.arrears_in_chunks`), so
    only the candidates are held for the whole run, in the order of each payer's first
    account (as one pass over every account gave them)."""
    project_ids = [p.pk for p in projects]
    policies = sel.policies_by_code()
    paused = sel.active_exclusions(as_of).filter(project_id__in=project_ids)
    by_scope: dict[str, dict] = {scope: {} for scope in Exclusion.Scope.values}
    for e in paused.order_by("starts_on", "id"):
        key = {"project": e.project_id, "segment": (e.project_id, e.segment),
               "account": e.account_id, "bill": e.bill_id}[e.scope]  # fmt: skip
        by_scope[e.scope].setdefault(key, e.reason)
    needs_payments = any(s.without_result for p in policies.values() for s in p.steps.all())
    held = sel.held_bills(as_of)
    result: list[Candidate] = []
    first: dict[tuple[int, int], int] = {}  # payer: its first account, the run's order
    for per_account in sel.arrears_in_chunks(
        as_of=as_of,
        project_ids=project_ids,
        customer_ids=customer_ids,
        held=held,
        chunk=ARREARS_CHUNK,
    ):
        result += _decide_chunk(per_account, as_of, policies, by_scope, needs_payments, first)
    result.sort(key=lambda c: first[c.payer])  # stable: a payer's tracks keep their order
    return result


def _decide_chunk(per_account, as_of, policies, by_scope, needs_payments, first):
    ids = [a.account_id for a in per_account.values() if a.oldest_due is not None]
    terms = sel.contract_terms(ids, as_of)
    paused_reasons: dict[int, str] = {}
    for a in per_account.values():
        reason = (
            by_scope["project"].get(a.project_id)
            or by_scope["segment"].get((a.project_id, terms.get(a.account_id, ("", ""))[0]))
            or by_scope["account"].get(a.account_id)
        )
        if reason and a.oldest_due is not None:
            paused_reasons[a.account_id] = reason
    everything = sel.by_payer(per_account)
    unpaused = sel.by_payer({
        k: v for k, v in per_account.items() if k not in paused_reasons
    })  # fmt: skip
    payers = [p for p, item in everything.items() if item.oldest_due is not None]
    sent = sel.live_notices(payers)
    last_paid = _last_payments(payers) if needs_payments else {}

    def decide(item: sel.Arrears) -> list[tuple[DunningStep, str]]:
        """The next step of each track of the payer's policy (E2 per track)."""
        segment, code = terms.get(item.account_id, ("", ""))
        policy = sel.policy_for(segment, code, policies)
        if policy is None or item.arrears < policy.min_amount:
            return []
        tracks: dict[str, list[DunningStep]] = {}
        for step in policy.steps.all():
            tracks.setdefault(step.track, []).append(step)
        facts = ladder.Facts(item.arrears, item.oldest_due, last_paid.get(item.payer))
        chosen = []
        for _, steps in sorted(tracks.items()):
            positions = {s.position for s in steps}
            decision = ladder.next_step(
                [to_ladder(s) for s in steps],
                [ladder.Sent(n.level, n.issued_on, n.settled_on)
                 for n in sent[item.payer] if n.level in positions],
                facts,
                as_of,
            )  # fmt: skip
            step = next((s for s in steps if s.position == decision.position), None)
            if step is not None:
                chosen.append((step, decision.reason))
        return chosen

    result = []
    for payer in payers:
        item = everything[payer]
        chosen = decide(item)
        if not chosen:
            continue
        first[payer] = min(item.accounts)
        reasons = [paused_reasons[a] for a in sorted(item.accounts) if a in paused_reasons]
        free = unpaused.get(payer)
        if reasons and (free is None or free.oldest_due is None):
            # paused as a whole: kept in the proposal as excluded lines, with the reason
            result += [Candidate(item.account_id, *payer, step, item, reasons[0], why)
                       for step, why in chosen]  # fmt: skip
            continue
        if reasons:  # some of the payer's accounts are paused: chase the others only
            item = free
            chosen = decide(item)
        result += [Candidate(item.account_id, *payer, step, item, "", why) for step, why in chosen]
    return result


def _last_payments(payers: list[tuple[int, int]]) -> dict[tuple[int, int], dt.date]:
    result: dict[tuple[int, int], dt.date] = {}
    wanted = set(payers)
    customers = sorted({c for _, c in payers})
    for start in range(0, len(customers), 5000):
        for project_id, customer_id, last in (
            Entry.objects.filter(
                InIds("account__customer_id", customers[start : start + 5000]),
                kind=Entry.Kind.PAYMENT,
            )
            .values("account__project_id", "account__customer_id")
            .annotate(last=Max("value_date"))
            .values_list("account__project_id", "account__customer_id", "last")
        ):
            if (project_id, customer_id) in wanted:
                result[(project_id, customer_id)] = last
    return result


def propose_run(
    *,
    as_of: dt.date,
    actor: str,
    project_code: str | None = None,
    decided: list[Candidate] | None = None,
) -> DunningRun:
    """Phase one: store what a run for `as_of` would do, one line per account (and, when
    `decided` is given, put the candidates in it for `execute_run`)."""
    projects = _projects(project_code)
    _refuse_earlier(projects, as_of, lock=False)
    with transaction.atomic():
        run = DunningRun.objects.create(
            as_of=as_of,
            project=projects[0] if project_code else None,
            proposed_by=actor,
            proposed_at=timezone.now(),
        )
        candidates = _candidates(projects, as_of)
        if decided is not None:
            decided += candidates
        for start in range(0, len(candidates), ISSUE_CHUNK):
            insert_objects(
                ProposalLine,
                [
                    ProposalLine(
                        run=run,
                        project_id=c.project_id,
                        customer_id=c.customer_id,
                        account_id=c.account_id,
                        step=c.step,
                        arrears=c.arrears.arrears,
                        oldest_due=c.arrears.oldest_due,
                        days_overdue=ladder.days_overdue(c.arrears.oldest_due, as_of),
                        excluded=bool(c.excluded_reason),
                        exclude_reason=f"paused: {c.excluded_reason}" if c.excluded_reason else "",
                        excluded_by="system" if c.excluded_reason else "",
                    )
                    for c in candidates[start : start + ISSUE_CHUNK]
                ],
            )
    return run


def get_run(run_id: int | str) -> DunningRun:
    try:
        return DunningRun.objects.select_related("project").get(pk=int(run_id))
    except (ValueError, DunningRun.DoesNotExist):
        raise NotFound("proposal", str(run_id)) from None


def exclude_from_run(*, run_id: int | str, unit_code: str, reason: str, actor: str) -> int:
    """Staff trim a proposal: the account's line is kept, marked excluded with the reason."""
    if not reason.strip():
        raise WuyeError("reason_required", "--reason is required", "須填寫原因")
    run = get_run(run_id)
    if run.status != DunningRun.Status.PROPOSED:
        raise WuyeError(
            "run_not_open",
            f"proposal {run.pk} is {run.status}",
            f"建議 {run.pk} 已{run.get_status_display()}",
        )
    # the line of the unit's payer in its project (a line covers all the payer's units)
    accounts = Account.objects.filter(Q(unit__code=unit_code) | Q(code=unit_code))
    lines = ProposalLine.objects.filter(
        run=run,
        project_id__in=accounts.values("project_id"),
        customer_id__in=accounts.values("customer_id"),
    )
    count = lines.update(excluded=True, exclude_reason=reason, excluded_by=actor)
    if not count:
        raise WuyeError(
            "not_in_proposal",
            f"no account of unit {unit_code} in proposal {run.pk}",
            f"建議 {run.pk} 中沒有單位 {unit_code} 的帳戶",
        )
    return count


def _prepare(projects: list[Project], as_of: dt.date, actor: str) -> None:
    """Before deciding: the late fees as of the day (L1: notices state the late fee so
    far) and the notices that payments since the last run made moot (F1)."""
    for project in projects:
        run_late_fees(project=project, as_of=as_of, actor=actor)
    reconcile_notices(project_ids=[p.pk for p in projects], on=as_of, actor=actor)


def execute_run(
    *, run_id: int | str, actor: str, decided: list[Candidate] | None = None
) -> DunningRun:
    """Phase two: under the run lock of each project, recompute every line that was not
    excluded and issue what still holds (E2); then close finished episodes. `decided`:
    the candidates `run_dunning` proposed in this same transaction after `_prepare`,
    which nothing can have changed since (so they are not computed twice)."""
    with transaction.atomic():
        run = DunningRun.objects.select_for_update().get(pk=get_run(run_id).pk)
        if run.status != DunningRun.Status.PROPOSED:
            raise WuyeError(
                "run_not_open",
                f"proposal {run.pk} is already {run.status}",
                f"建議 {run.pk} 已{run.get_status_display()}",
            )
        projects = [run.project] if run.project_id else list(Project.objects.order_by("code"))
        _refuse_earlier(projects, run.as_of, lock=True)
        if decided is not None:
            # proposed in this transaction from these very candidates: every line not
            # excluded (a paused payer's lines are) is issued as proposed
            issue = [c for c in decided if not c.excluded_reason]
            run.lines.filter(excluded=False).update(outcome="issued")
        else:
            _prepare(projects, run.as_of, actor)
            issue = _recheck(run, projects)
        created = _issue(issue, on=run.as_of, run=run, actor=actor)
        _enqueue_messages(run, actor=actor)
        closed = close_finished_episodes(project_ids=[p.pk for p in projects], on=run.as_of)
        RunMark.objects.filter(project__in=projects).update(last_as_of=run.as_of)
        run.status = DunningRun.Status.EXECUTED
        run.executed_by = actor
        run.executed_at = timezone.now()
        run.notices_created = created
        run.episodes_closed = closed
        run.save(update_fields=["status", "executed_by", "executed_at", "notices_created",
                                "episodes_closed"])  # fmt: skip
    return run


def _recheck(run: DunningRun, projects: list[Project]) -> list[Candidate]:
    """E2 at execution of a proposal staff reviewed: each line not excluded is decided
    again; what still holds is issued, the rest gets its outcome (paused, changed,
    nothing due any more)."""
    lines = list(run.lines.filter(excluded=False).select_related("step"))
    by_payer = {(line.project_id, line.customer_id, line.step.track): line for line in lines}
    fresh = _candidates(projects, run.as_of, run.lines.filter(excluded=False).values("customer_id"))
    issue = []
    for candidate in fresh:
        line = by_payer.get((*candidate.payer, candidate.step.track))
        if line is None:
            continue  # the payer's line in this project was excluded or not proposed
        if candidate.excluded_reason:
            line.outcome = f"paused: {candidate.excluded_reason}"
        elif candidate.step.pk != line.step_id:
            line.outcome = f"changed since proposal: {candidate.reason}"
        else:
            issue.append(candidate)
            line.outcome = "issued"
    for line in lines:
        if not line.outcome:
            line.outcome = "nothing due any more"
    ProposalLine.objects.bulk_update(lines, ["outcome"], batch_size=2000)
    return issue


def run_dunning(
    *, as_of: dt.date, actor: str, project_code: str | None = None, dry_run: bool = False
) -> DunningRun:
    """Propose and execute in one (the scheduler's entry); a dry run writes nothing.
    Executed at once, the day's late fees and F1 reconciliation come first, so the one
    proposal is decided on the day's figures and issued as decided."""
    with transaction.atomic():
        if dry_run:
            run = propose_run(as_of=as_of, actor=actor, project_code=project_code)
            lines = list(run.lines.select_related("account__unit", "step", "project"))
            run._dry_lines = lines
            transaction.set_rollback(True)
            return run
        projects = _projects(project_code)
        _refuse_earlier(projects, as_of, lock=True)
        _prepare(projects, as_of, actor)
        decided: list[Candidate] = []
        run = propose_run(as_of=as_of, actor=actor, project_code=project_code, decided=decided)
        return execute_run(run_id=run.pk, actor=actor, decided=decided)


def _enqueue_messages(run: DunningRun, *, actor: str) -> None:
    """R1: the run's SMS and e-mail steps go to the outbox (sent by `wuye messages send`,
    which keeps quiet hours and the frequency cap)."""
    from wuye.messaging.services import enqueue_for_notices

    messages = Notice.objects.filter(run=run, action__in=[Action.SMS, Action.EMAIL])
    for start in range(0, messages.count(), 2000):
        enqueue_for_notices(list(messages.order_by("pk")[start : start + 2000]), on=run.as_of,
                            actor=actor)  # fmt: skip


def _pay_by(project: Project, on: dt.date, days: int) -> dt.date:
    return next_working_day(on + dt.timedelta(days=days), calendar=project.workday_calendar)


def _issue(candidates: list[Candidate], *, on: dt.date, run: DunningRun | None, actor: str) -> int:
    """Write the notices (numbered per project and year, in account order) with the
    amounts they state: one per payer, listing each of its units' overdue items. In
    slices of `ISSUE_CHUNK` candidates per project, numbered on from slice to slice."""
    by_project: dict[int, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_project[c.project_id].append(c)
    projects = {p.pk: p for p in Project.objects.filter(pk__in=by_project)}
    now = timezone.now()
    pay_by: dict[tuple[int, int], dt.date] = {}  # (project, days): one calendar look-up
    created = 0
    for project_id, group in sorted(by_project.items()):
        group.sort(key=lambda c: c.account_id)  # stable: a payer's tracks keep their order
        for start in range(0, len(group), ISSUE_CHUNK):
            created += _issue_slice(group[start : start + ISSUE_CHUNK], projects[project_id],
                                    on=on, run=run, actor=actor, now=now, pay_by=pay_by)  # fmt: skip
    return created


def _issue_slice(group, project, *, on, run, actor, now, pay_by) -> int:
    payers = [c.payer for c in group]
    open_episodes = _open_episodes(payers)
    Episode.objects.bulk_create(
        [
            Episode(
                project_id=c.project_id,
                customer_id=c.customer_id,
                account_id=c.account_id,
                opened_on=on,
                oldest_due=c.arrears.oldest_due,
            )
            for c in {c.payer: c for c in group}.values()  # one per payer, for all tracks
            if c.payer not in open_episodes
        ],
        batch_size=2000,
    )
    open_episodes = _open_episodes(payers)
    done = _occurrences(list(open_episodes.values()))
    items_by_bill: dict[int, dict] = defaultdict(dict)
    for key, amounts in sel.notice_items(
        set().union(*(c.arrears.bills for c in group)), on
    ).items():
        items_by_bill[key[0]][key] = amounts
    project_id = project.pk
    base = numbers.reserve(f"notice:{project.code}:{on.year}", len(group))
    ids = iter(reserve_ids(Notice, len(group)))
    notices, line_sets = [], []
    for offset, c in enumerate(group, start=1):
        lines = {k: v for bill in c.arrears.bills for k, v in items_by_bill[bill].items()}
        principal = money(sum((v[0] for v in lines.values()), ZERO))
        late_fee = money(sum((v[1] for v in lines.values()), ZERO))
        is_task = c.step.action not in DELIVERED_ACTIONS
        days = c.step.pay_within_days
        if not is_task and (project_id, days) not in pay_by:
            pay_by[(project_id, days)] = _pay_by(project, on, days)
        notices.append(
            Notice(
                pk=next(ids),
                number=numbers.format_number(project.code, f"N{on.year}", base + offset, 6),
                project=project,
                customer_id=c.customer_id,
                account_id=c.account_id,
                episode_id=open_episodes[c.payer],
                run=run,
                step=c.step,
                level=c.step.position,
                occurrence=done.get((open_episodes[c.payer], c.step.position), 0) + 1,
                action=c.step.action,
                issued_on=on,
                status=Notice.Status.OPEN if is_task else Notice.Status.ISSUED,
                principal=principal,
                late_fee=late_fee,
                total=principal + late_fee,
                pay_by=None if is_task else pay_by[(project_id, days)],
                settled_on=on if is_task else None,
                actor=actor,
                created_at=now,
            )
        )
        line_sets.append(lines)
    insert_objects(Notice, notices)
    _write_lines(notices, line_sets)
    return len(notices)


def _occurrences(episode_ids: list[int]) -> dict[tuple[int, int], int]:
    """How often each level was issued in each episode (originals not cancelled)."""
    from django.db.models import Count

    result = {}
    for start in range(0, len(episode_ids), 5000):
        result.update(
            ((row["episode_id"], row["level"]), row["n"])
            for row in Notice.objects.filter(
                episode_id__in=episode_ids[start : start + 5000], replaces__isnull=True
            )
            .exclude(status=Notice.Status.CANCELLED)
            .values("episode_id", "level")
            .annotate(n=Count("id"))
            .order_by()
        )
    return result


def _open_episodes(payers: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    result = {}
    wanted = set(payers)
    customers = sorted({c for _, c in payers})
    for start in range(0, len(customers), 5000):
        for project_id, customer_id, pk in Episode.objects.filter(
            customer_id__in=customers[start : start + 5000], closed_on__isnull=True
        ).values_list("project_id", "customer_id", "id"):
            if (project_id, customer_id) in wanted:
                result[(project_id, customer_id)] = pk
    return result


def _write_lines(notices: list[Notice], line_sets: list[dict]) -> None:
    from wuye.billing.models import Bill

    ids = sorted({bill_id for lines in line_sets for bill_id, _ in lines})
    bills: dict[int, tuple] = {}
    for offset in range(0, len(ids), 5000):
        for pk, period, due in Bill.objects.filter(pk__in=ids[offset : offset + 5000]).values_list(
            "pk", "period_start", "due_date"
        ):
            bills[pk] = (period, due)
    insert_objects(
        NoticeLine,
        [
            NoticeLine(
                notice=notice,
                bill_id=bill_id,
                fee_item_id=fee_item_id,
                period_start=bills[bill_id][0],
                due_date=bills[bill_id][1],
                principal=amounts[0],
                late_fee=amounts[1],
            )
            for notice, lines in zip(notices, line_sets, strict=True)
            for (bill_id, fee_item_id), amounts in sorted(lines.items())
        ],
    )


def close_finished_episodes(
    *, on: dt.date, project_ids: list[int] | None = None,
    payers: list[tuple[int, int]] | None = None,
) -> int:  # fmt: skip
    """E2: an episode ends when nothing of the payer (in that project) is overdue; the
    next overdue bill starts the ladder again at the 1st."""
    episodes = Episode.objects.filter(closed_on__isnull=True)
    if project_ids is not None:
        episodes = episodes.filter(project_id__in=project_ids)
    if payers is not None:
        episodes = episodes.filter(customer_id__in=sorted({c for _, c in payers}))
    open_payers = set(episodes.values_list("project_id", "customer_id"))
    if payers is not None:
        open_payers &= set(payers)
    if not open_payers:
        return 0
    customers = sorted({c for _, c in open_payers})
    pids = sorted({p for p, _ in open_payers})
    overdue = set()
    for start in range(0, len(customers), 5000):
        per_account = sel.arrears_by_account(
            as_of=on, project_ids=pids, customer_ids=customers[start : start + 5000], held=set()
        )
        overdue |= {a.payer for a in per_account.values() if a.any_overdue}
    done = sorted(open_payers - overdue)
    count = 0
    for start in range(0, len(done), 2000):
        chunk = done[start : start + 2000]
        ids = [
            pk
            for pk, project_id, customer_id in Episode.objects.filter(
                closed_on__isnull=True, customer_id__in=[c for _, c in chunk]
            ).values_list("pk", "project_id", "customer_id")
            if (project_id, customer_id) in set(chunk)
        ]
        # G1: an escalation still open when the debt is paid closes with the episode
        Notice.objects.filter(episode_id__in=ids, status=Notice.Status.OPEN).update(
            status=Notice.Status.CLOSED, ended_on=on, end_reason="paid: nothing overdue"
        )
        count += Episode.objects.filter(pk__in=ids).update(
            closed_on=on, close_reason="nothing overdue (E2)"
        )
    return count


# --- F1: a payment is seen at once by every notice -----------------------------------


def debts_changed(paid_on: dict[int, dt.date], *, actor: str) -> None:
    """F1: a payment (or a void, a waiver) is seen at once by dunning: notices not yet
    delivered for debts now paid are cancelled or reissued with the new amounts, and an
    arrears episode with nothing overdue any more ends (E2). `paid_on`: the date of the
    change per account."""
    from wuye.dunning.models import Episode
    from wuye.dunning.services import close_finished_episodes, reconcile_notices

    ids = sorted(paid_on)
    payer_dates: dict[tuple[int, int], dt.date] = {}
    for start in range(0, len(ids), 5000):
        for pk, project_id, customer_id in Account.objects.filter(
            pk__in=ids[start : start + 5000]
        ).values_list("pk", "project_id", "customer_id"):
            key = (project_id, customer_id)
            payer_dates[key] = max(paid_on[pk], payer_dates.get(key, paid_on[pk]))
    customers = sorted({c for _, c in payer_dates})
    open_payers = set()
    for start in range(0, len(customers), 5000):
        open_payers |= set(
            Episode.objects.filter(
                customer_id__in=customers[start : start + 5000], closed_on__isnull=True
            ).values_list("project_id", "customer_id")
        )
    by_date: dict[dt.date, list[tuple[int, int]]] = {}
    for payer in sorted(open_payers & set(payer_dates)):
        by_date.setdefault(payer_dates[payer], []).append(payer)
    for on, payers in sorted(by_date.items()):
        reconcile_notices(on=on, actor=actor, payers=payers)
        close_finished_episodes(payers=payers, on=on)


RECONCILE_CHUNK = 2000


def reconcile_notices(
    *, on: dt.date, actor: str, project_ids: list[int] | None = None,
    payers: list[tuple[int, int]] | None = None,
) -> dict[str, list[str]]:  # fmt: skip
    """F1: a notice not yet delivered or posted whose items were meanwhile paid in full is
    cancelled with the reason; one whose amounts a part payment lowered is voided and
    reissued at the same level with the new amounts (not a repeated level).

    Set-based, in chunks of the pending notices (by id): their lines and the open amounts
    of their bills are read per chunk, the cancellations and voids are one UPDATE each,
    the contacts, reissues and their lines are inserted together; memory is bounded by
    the chunk, not by the number of pending notices."""
    pending = Notice.objects.filter(status=Notice.Status.ISSUED)
    if project_ids is not None:
        pending = pending.filter(project_id__in=project_ids)
    if payers is not None:
        wanted = set(payers)
        pending = pending.filter(customer_id__in=sorted({c for _, c in payers}))
        ids = [
            pk
            for pk, project_id, customer_id in pending.order_by("pk").values_list(
                "pk", "project_id", "customer_id"
            )
            if (project_id, customer_id) in wanted
        ]
    else:
        ids = list(pending.order_by("pk").values_list("pk", flat=True))
    result: dict[str, list[str]] = {"cancelled": [], "reissued": []}
    if not ids:
        return result
    projects = {p.pk: p for p in Project.objects.all()}
    pay_by: dict[tuple[int, int], dt.date] = {}  # (project, days): one calendar look-up
    now = timezone.now()
    for start in range(0, len(ids), RECONCILE_CHUNK):
        _reconcile_chunk(ids[start : start + RECONCILE_CHUNK], on, actor, now, projects, pay_by,
                         result)  # fmt: skip
    return result


def _reconcile_chunk(ids, on, actor, now, projects, pay_by, result) -> None:
    notices = list(
        Notice.objects.filter(InIds("pk", ids))
        .order_by("pk")
        .values(
            "pk", "number", "project_id", "customer_id", "account_id", "episode_id", "run_id",
            "step_id", "step__pay_within_days", "level", "occurrence", "action",
        )
    )  # fmt: skip
    lines: dict[int, dict[tuple[int, int], tuple[Decimal, Decimal]]] = defaultdict(dict)
    for notice_id, bill_id, fee_item_id, principal, late_fee in NoticeLine.objects.filter(
        InIds("notice_id", ids)
    ).values_list("notice_id", "bill_id", "fee_item_id", "principal", "late_fee"):
        lines[notice_id][(bill_id, fee_item_id)] = (principal, late_fee)
    current = sel.notice_items({k[0] for ls in lines.values() for k in ls}, on)
    ended: dict[str, list[dict]] = {Notice.Status.CANCELLED: [], Notice.Status.VOID: []}
    reissues: list[tuple[dict, dict]] = []
    for notice in notices:
        stated = lines[notice["pk"]]
        still = {k: current[k] for k in stated if k in current and current[k][0] > 0}
        if not still:
            ended[Notice.Status.CANCELLED].append(notice)
            result["cancelled"].append(notice["number"])
        elif any(
            k not in still or still[k][0] < amounts[0] or still[k][1] < amounts[1]
            for k, amounts in stated.items()
        ):
            ended[Notice.Status.VOID].append(notice)
            reissues.append((notice, still))
    reasons = {
        Notice.Status.CANCELLED: ("paid in full before delivery (F1)", Contact.Result.CANCELLED),
        Notice.Status.VOID: ("amounts changed by a part payment (F1)", Contact.Result.VOIDED),
    }
    contacts = []
    for status, group in ended.items():
        if not group:
            continue
        reason, outcome = reasons[status]
        Notice.objects.filter(InIds("pk", [n["pk"] for n in group])).update(
            status=status, ended_on=on, end_reason=reason
        )
        contacts += [
            Contact(account_id=n["account_id"], notice_id=n["pk"], channel=Contact.Channel.SYSTEM,
                    on=on, staff=actor, result=outcome, note=reason, created_at=now)
            for n in group
        ]  # fmt: skip
    insert_objects(Contact, sorted(contacts, key=lambda c: c.notice_id))
    if not reissues:
        return
    by_project: dict[int, list[tuple[dict, dict]]] = defaultdict(list)
    for notice, still in reissues:
        by_project[notice["project_id"]].append((notice, still))
    new_ids = iter(reserve_ids(Notice, len(reissues)))
    created, line_sets = [], []
    for project_id, group in sorted(by_project.items()):
        project = projects[project_id]
        base = numbers.reserve(f"notice:{project.code}:{on.year}", len(group))
        for offset, (notice, still) in enumerate(group, start=1):
            days = notice["step__pay_within_days"]
            if (project_id, days) not in pay_by:
                pay_by[(project_id, days)] = _pay_by(project, on, days)
            principal = money(sum((v[0] for v in still.values()), ZERO))
            late_fee = money(sum((v[1] for v in still.values()), ZERO))
            created.append(
                Notice(
                    pk=next(new_ids),
                    number=numbers.format_number(project.code, f"N{on.year}", base + offset, 6),
                    project=project,
                    customer_id=notice["customer_id"],
                    account_id=notice["account_id"],
                    episode_id=notice["episode_id"],
                    run_id=notice["run_id"],
                    step_id=notice["step_id"],
                    level=notice["level"],
                    occurrence=notice["occurrence"],
                    action=notice["action"],
                    issued_on=on,
                    status=Notice.Status.ISSUED,
                    principal=principal,
                    late_fee=late_fee,
                    total=principal + late_fee,
                    pay_by=pay_by[(project_id, days)],
                    replaces_id=notice["pk"],
                    actor=actor,
                    created_at=now,
                )
            )
            line_sets.append(still)
            result["reissued"].append(created[-1].number)
    insert_objects(Notice, created)
    _write_lines(created, line_sets)


def pause_dunning(
    *, scope: str, project_code: str, reason: str, starts_on: dt.date, actor: str,
    ends_on: dt.date | None = None, segment: str = "", unit_code: str | None = None,
    bill_number: str | None = None,
) -> Exclusion:  # fmt: skip
    """Exclusions and pauses at every level (project, segment, account, bill), each with
    its reason and an optional end date."""
    from wuye.billing.models import Bill

    if not reason.strip():
        raise WuyeError("reason_required", "--reason is required", "須填寫原因")
    if scope not in Exclusion.Scope.values:
        raise WuyeError(
            "invalid_scope", f"scope: '{scope}' is not one of {', '.join(Exclusion.Scope.values)}",
            f"範圍「{scope}」無效",
        )  # fmt: skip
    if ends_on and ends_on < starts_on:
        raise WuyeError("invalid_date", "--until is before --from", "結束日早於開始日")
    project = Project.objects.filter(code=project_code).first()
    if project is None:
        raise NotFound("project", project_code)
    fields = {"project": project}
    if scope == Exclusion.Scope.SEGMENT:
        if not segment:
            raise WuyeError("segment_required", "--segment is required", "須指定客戶類別")
        if segment not in Contract.Segment.values:
            raise WuyeError(
                "invalid_segment",
                f"--segment: '{segment}' is not one of {', '.join(Contract.Segment.values)}",
                f"客戶類別「{segment}」無效",
            )
        fields["segment"] = segment
    elif scope == Exclusion.Scope.ACCOUNT:
        account = (
            Account.objects.filter(project=project, unit__code=unit_code)
            .order_by("-start_date")
            .first()
        )
        if account is None:
            raise NotFound("account of unit", str(unit_code))
        fields["account"] = account
    elif scope == Exclusion.Scope.BILL:
        bill = Bill.objects.filter(number=bill_number, project=project).first()
        if bill is None:
            raise NotFound("bill", str(bill_number))
        fields["bill"] = bill
    return Exclusion.objects.create(
        scope=scope, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor,
        created_at=timezone.now(), **fields,
    )  # fmt: skip


def close_escalation(*, number: str, on: dt.date, note: str, actor: str) -> Notice:
    """G1: an escalation is tracked until a supervisor or manager closes it."""
    notice = Notice.objects.filter(number=number).first()
    if notice is None:
        raise NotFound("notice", number)
    if notice.action != Action.ESCALATION or notice.status != Notice.Status.OPEN:
        raise WuyeError(
            "not_open_escalation", f"{number} is not an open escalation", f"{number} 不是未結的上報"
        )
    if not note.strip():
        raise WuyeError("reason_required", "--note is required", "須填寫處理結果")
    Notice.objects.filter(pk=notice.pk).update(
        status=Notice.Status.CLOSED, ended_on=on, end_reason=f"{note} ({actor})"
    )
    notice.refresh_from_db()
    return notice

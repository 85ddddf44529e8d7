from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "wuye.legal"
    verbose_name = "法律程序"

    def ready(self) -> None:
        # R5/S1: lawyer letters are approved through wuye.approvals (a manager, RULES.md
        # roles); the approval moves the linked cases on and posts nothing to the ledger
        from wuye.approvals.models import ApprovalRequest
        from wuye.approvals.services import HANDLERS, KindHandler
        from wuye.legal.services import check_lawyer_letter, post_lawyer_letter

        HANDLERS[ApprovalRequest.Kind.LAWYER_LETTER] = KindHandler(
            check=check_lawyer_letter, post=post_lawyer_letter
        )

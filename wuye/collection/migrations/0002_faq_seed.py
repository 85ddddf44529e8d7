"""The prepared answers for visits (R4) as data an administrator edits: a few questions
owners ask, per reason category of R2, with answers in Traditional Chinese.

X1: no answer threatens to cut off any supply; a vacant unit still owes the fee
(《民法典》 art. 944)."""

from django.db import migrations

FAQ = [
    # reason, question, answer
    ("service", "服務做得不好，為什麼還要交物業費？",
     "感謝您的意見，我們會把您反映的問題記錄下來，轉交管理處主管跟進，並在約定時間內回覆處理結果。"
     "物業服務費是按《物業服務合同》收取的，服務不足之處我們有責任改進；"
     "也請您先繳交欠費，以免產生違約金。"),
    ("service", "我投訴過的問題一直沒有處理，怎麼辦？",
     "請告訴我們投訴的時間和內容，我們現在就登記並註明跟進人和完成期限，完成後會再聯絡您確認。"),
    ("defect", "房子漏水、牆身有裂縫，是不是可以不交物業費？",
     "房屋本身的質量問題屬於開發商的保修責任（保修期內由開發商負責維修），與物業服務費是兩個不同的法律關係。"
     "我們可以即時為您登記維修申請，並協助聯繫開發商跟進；物業服務費仍需按合同繳交。"),
    ("defect", "維修一直沒有人來，誰負責？",
     "我們會把您的維修申請登記在案，註明跟進人，並催促保修單位在約定時間內上門；有進展會第一時間通知您。"),
    ("theft", "小區發生失竊，物業是不是要負責？",
     "對於失竊事件我們深表關注，會配合警方調查，並檢討巡邏與門禁安排。"
     "如物業在服務上確有過失，可以按程序提出，由主管審批處理（例如減免違約金）；"
     "物業服務費仍需繳交。"),
    ("developer", "我和開發商有糾紛，為什麼要找物業交費？",
     "與開發商的糾紛（例如交樓標準、面積、配套）需要向開發商主張，我們可以協助轉達和提供資料。"
     "物業服務費是按《物業服務合同》為小區提供服務的費用，不因與開發商的糾紛而免除。"),
    ("vacant", "房子沒住為什麼要交物業費？",
     "根據《民法典》第九百四十四條，業主違反約定逾期不支付物業費的，物業服務人可以催告其支付；"
     "業主不得以未接受或者無需接受相關物業服務為由拒絕支付物業費。"
     "即使房屋空置，公共部位的保潔、保安、設備維護等服務仍在進行，所以仍需繳交。"),
    ("vacant", "我不在本地，怎樣交費比較方便？",
     "您可以辦理銀行托收（自動扣款），或以銀行轉賬、微信、支付寶繳費，我們可以把賬號和繳費方法發給您。"),
    ("hardship", "最近經濟困難，可以分期或減免嗎？",
     "我們理解您的情況。可以為您申請分期付款或減免違約金，需要由主管審批；"
     "請提供相關情況說明，我們會盡快回覆審批結果。"),
    ("forgot", "我忘了交費，現在怎麼交？",
     "沒關係，您可以到物業服務中心繳交，或以銀行轉賬、微信、支付寶繳費；"
     "也可以辦理銀行托收，以後每月自動扣款，避免遺忘和產生違約金。"),
    ("no_reason", "我就是不想交，你們能怎樣？",
     "物業服務費是按《物業服務合同》和《管理公約》應繳的費用。我們會繼續按程序發出催繳通知；"
     "逾期未繳的，物業服務人可以依法提起訴訟或申請支付令，並按合同約定計收違約金。"
     "希望您盡快繳交，有任何意見也歡迎告訴我們。"),
    ("other", "欠費的金額是怎樣計算的？",
     "欠費按每期帳單的物業服務費及其他收費項目計算，逾期部分按合同約定計收違約金；"
     "我們可以把帳戶明細交給您核對，如對金額有疑問可以提出異議，核實期間該帳單暫停催繳。"),
]  # fmt: skip


def create(apps, schema_editor):
    FaqEntry = apps.get_model("collection", "FaqEntry")
    order: dict[str, int] = {}
    for reason, question, answer in FAQ:
        order[reason] = order.get(reason, 0) + 10
        FaqEntry.objects.create(
            reason=reason, question=question, answer=answer, sort_order=order[reason]
        )


def remove(apps, schema_editor):
    FaqEntry = apps.get_model("collection", "FaqEntry")
    FaqEntry.objects.filter(question__in=[q for _, q, _ in FAQ]).delete()


class Migration(migrations.Migration):
    dependencies = [("collection", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]

"""Printed documents (issue 4): the 催繳通知書 and the 帳單 as HTML and A4 PDF."""

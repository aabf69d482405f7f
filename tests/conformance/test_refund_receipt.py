"""A RefundReceipt as python-quickbooks' integration test makes it.

ej2/python-quickbooks tests/integration/test_refundreceipt.py::test_create sends this
to a real US sandbox: no customer, a check payment, one line of 200 on the first
item without quantity or tax code, ``TotalAmt``/``Balance`` of 100 (read-only, so
ignored), the refund paid from the ``Checking`` account (a Bank account). It then
reads the receipt back and asserts its DocNumber, line amount and account.
"""

from __future__ import annotations

from quickbooks.client import QuickBooks
from quickbooks.objects.account import Account
from quickbooks.objects.base import CustomerMemo
from quickbooks.objects.detailline import DetailLine, SalesItemLineDetail
from quickbooks.objects.item import Item
from quickbooks.objects.refundreceipt import RefundReceipt, RefundReceiptCheckPayment


def test_refund_receipt_create_as_python_quickbooks_does(us_qb: QuickBooks) -> None:
    refund_receipt = RefundReceipt()
    refund_receipt.DocNumber = "DocNum123"
    refund_receipt.TotalAmt = 100
    refund_receipt.Balance = 100
    refund_receipt.PrivateNote = "Private Note"
    refund_receipt.PaymentType = "Check"
    refund_receipt.CustomerMemo = CustomerMemo()
    refund_receipt.CustomerMemo.value = "Customer Memo"
    refund_receipt.CheckPayment = RefundReceiptCheckPayment()
    refund_receipt.CheckPayment.CheckNum = "1001"
    refund_receipt.CheckPayment.NameOnAcct = "John Smith"
    refund_receipt.CheckPayment.AcctNum = "0000000000"
    refund_receipt.CheckPayment.BankName = "Bank"
    line = DetailLine()
    line.DetailType = "SalesItemLineDetail"
    line.Amount = 200
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.all(max_results=1, qb=us_qb)[0].to_ref()
    refund_receipt.Line.append(line)
    account = Account.where("Name = 'checking'", max_results=1, qb=us_qb)[0]
    refund_receipt.DepositToAccountRef = account.to_ref()

    refund_receipt.save(qb=us_qb)

    read = RefundReceipt.get(refund_receipt.Id, qb=us_qb)
    assert read.DocNumber == refund_receipt.DocNumber
    assert read.Line[0].Amount == 200
    assert refund_receipt.DepositToAccountRef.value == account.Id

"""target-quickbooks: a Singer target writing Items, Customers, Invoices and CreditMemos."""

"""Reports over invoices and payments: aging, DSO and customer statements."""

"""The buyer side of a payment link: the invoice's page, its PDF, a payment the buyer reports
and the buyer's answer to the invoice."""

# The activity page's words in English: a month of what came in and went out, with the
# balance after each. Money and times arrive already written ($amount, $merchant …); ids
# match locales/ko/activity.ftl one for one (a unit test checks).

activity-title = Activity
activity-month = { $name } { $year }
activity-month-1 = January
activity-month-2 = February
activity-month-3 = March
activity-month-4 = April
activity-month-5 = May
activity-month-6 = June
activity-month-7 = July
activity-month-8 = August
activity-month-9 = September
activity-month-10 = October
activity-month-11 = November
activity-month-12 = December
activity-previous = ← { $month }
activity-next = { $month } →
activity-continued = Continued from earlier in this month.
activity-balance-after = Balance { $amount }
activity-more = More of this month
activity-empty = Nothing happened in this month.
activity-download-csv = Download this month (CSV)
activity-download-hint = Opens in a spreadsheet such as Excel.

## What each movement was
activity-topup = Money added
activity-topup-bank_transfer = Added by bank transfer
activity-topup-earning = Earnings added
activity-topup-refund = Refund added
activity-topup-cashback = Cashback
activity-topup-promo = Promotion points added
activity-topup-carrier_billing = Added through your phone bill
activity-topup-card = Added by card
activity-payment = Payment to { $merchant }
activity-payment-refund = Payment refunded
activity-gift-card-redeem = { $brand } gift card added
activity-gift-card-remainder = Gift card remainder refunded to { $to }
activity-cashout = Cash-out
activity-cashout-released = Cash-out not made: money back
activity-cashout-released-failed = Cash-out failed: money back
activity-cashout-released-canceled = Cash-out canceled: money back
activity-cashout-released-expired = Cash-out not confirmed in time: money back
activity-cashout-returned = Cash-out came back: money back
activity-dispute-adjustment = Corrected after your enquiry
activity-other = Other
activity-pocket-gift = Gift card

## The CSV file's header
activity-csv-when = Date and time
activity-csv-what = What
activity-csv-pockets = Kind of money
activity-csv-amount = Amount
activity-csv-amount-shown = Amount as written
activity-csv-balance = Balance
activity-csv-balance-shown = Balance as written

error-invalid_month = We could not tell which month you meant. Choose the month again on the activity page.

# The web wallet's words in English: plain and short, the number the person cares about
# first, one next step per screen. Money and times arrive already written ($amount, $date);
# ids match locales/ko/wallet.ftl one for one (a unit test checks).

wallet-name = My wallet
skip-to-content = Skip to content
nav-label = Wallet menu
nav-home = Home
nav-activity = Activity
nav-gift-cards = Gift cards
nav-cash-out = Cash out
nav-settings = Settings
sign-out = Sign out
sign-in-with-phone = Sign in with your phone number
back-home = Back to home

## Getting in
front-title = To open your wallet
front-text = Open it from the app you use, with “My wallet”. You can also sign in with your phone number.
link-refused-title = This link cannot be opened
link-refused-text = It was used already, or more than 5 minutes have passed. Open your wallet from the app again.
signed-out-title = You are signed out
signed-out-text = Your wallet is closed on this device. To see it again, open it from the app.
sign-in-title = Sign in with your phone number
phone-label = Mobile phone number
phone-hint = The number you signed up with, for example 010-1234-5678 or +82 10 1234 5678.
send-code = Send me a code
code-title = Enter your code
code-sent = If this number has a wallet, we sent it a 6-digit code by text message. Enter it within 5 minutes.
code-label = 6-digit code
code-hint = The 6 digits in the text message.
sign-in = Sign in
ask-new-code = Get a new code
there-is-a-problem = There is a problem

## Home
home-title = My wallet
total-label = In your wallet
withdrawable-label = You can withdraw
held-label = Being cashed out
cash-out-action = Cash out
nothing-withdrawable = Nothing can be withdrawn right now. See why below.
on-the-way-title = Cash-outs in progress
next-expiring-title = Gift card expiring next
next-expiring-text = { $amount } on your { $brand } gift card can be spent until { $date }.
pockets-title = By kind of money
no-pockets = Your wallet is empty for now.
pocket-cash = Money you added
pocket-refund = Refunds
pocket-cashback = Cashback
pocket-promo = Promotion points
pocket-carrier = Added through your phone bill
pocket-card = Added by card
pocket-gift = { $brand } gift card
pocket-withdrawable = { $amount } can be withdrawn
pocket-not-withdrawable = Cannot be withdrawn, but you can pay with it.
pocket-held = { $amount } of it is being cashed out.

## Cash-out states
status-awaiting_confirmation = Waiting for confirmation
status-in_review = Being reviewed
status-processing = Processing
status-in_transit = On its way
status-paid = Paid
status-failed = Failed
status-canceled = Canceled
status-expired = Expired

## When something goes wrong
title-not-found = Not found
title-slow-down = Please wait a moment
title-our-fault = Something went wrong
title-cannot = This cannot be done
title-form-expired = Please open the page again
form-expired = This page was open too long, or the request came from somewhere else. Nothing was changed. Go back, reload the page and try again.
page-not-found = There is nothing at this address. Start again from the home page.
form-unreadable = We could not read what was sent. Nothing was changed.
error-general = We could not do that. (Error code: { $code })
error-not_found = What you are looking for is not here.
error-invalid_phone = Enter a mobile number such as 010-1234-5678.
error-invalid_code = Enter the 6 digits from the text message.
error-otp_invalid = That is not the code. Check the message again; a code takes 5 tries.
error-otp_locked = This code can no longer be used. Get a new code.
error-otp_expired = This code has expired. Get a new code.
error-rate_limited = Too many tries. Try again in { $seconds } seconds.

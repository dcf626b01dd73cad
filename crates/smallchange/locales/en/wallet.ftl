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
link-open-title = Your { $operator } wallet
link-open-text = Press the button below to open your wallet. This link works only once.
link-open-button = Open my wallet
signed-out-title = You are signed out
signed-out-text = Your wallet is closed on this device. To see it again, open it from the app.
sign-in-heading = Sign in to your { $operator } wallet
sign-in-lead = Enter your mobile number and we will text you a code.
phone-label = Mobile phone number
phone-hint = The number you signed up with, for example 010-1234-5678 or +82 10 1234 5678.
send-code = Send me a code
code-title = Enter your code
code-sent = If this number has a wallet, we sent it a 6-digit code by text message. Enter it within 5 minutes.
code-label = 6-digit code
code-hint = The 6 digits in the text message.
sign-in = Sign in
ask-new-code = Get a new code
sign-in-code-wrong = That is not the code. You can try { $left } more times.
sign-in-code-wrong-last = That is not the code. You have one try left; after that, this code stops working.
sign-in-code-resend-hint = No text message? We can send you a new code.
sign-in-code-resend = Send a new code
sign-in-code-resend-wait = You have asked for codes too often. Ask again in { $seconds } seconds.
there-is-a-problem = There is a problem

## Home
home-title = My wallet
total-label = In your wallet
withdrawable-label = You can withdraw
held-label = Being cashed out
cash-out-action = Cash out
nothing-withdrawable = Nothing can be withdrawn right now. See why below.
on-the-way-title = Cash-outs in progress
next-expiring-title = Gift card expiring soon
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
# Why each kind of money can or cannot be withdrawn ($amount, $minimum: money; $used,
# $threshold: shares).
pocket-why-own_money = Money you added from a bank account or earned is yours to withdraw.
pocket-why-withdrawable_refund = Refunds of purchases paid with money you can withdraw can be withdrawn too.
pocket-why-cashback_enough = Your cashback has reached { $minimum }, so you can withdraw it.
pocket-why-cashback_too_little = Cashback can be withdrawn from { $minimum }: { $amount } to go.
pocket-why-operator_policy = This service does not let this money be withdrawn. You can pay with it.
pocket-why-promo = Promotion points can be spent, but never withdrawn.
pocket-why-carrier = This was charged to your phone bill, so it can be spent but never turned into cash.
pocket-why-card = This was charged to a card, so it can be spent but never turned into cash.
pocket-why-gift = Gift cards can be spent. Once a card's terms allow it, you can get the rest back.
pocket-why-gift_refundable = { $used } used: you can get the remaining { $amount } back now.
pocket-why-gift_spend_more = Spend { $amount } more and you can get the rest back: { $used } used so far, { $threshold } needed.
pocket-why-gift_expired = It expired on { $date } and can no longer be spent. If the card's terms allow it, you can still get the rest back.

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

## Cash-outs paused
# A frozen wallet (an operator paused it): said in general words, never why, by whom or
# since when. $operator: the operator's name.
error-user_frozen = Cash-outs from this wallet are paused for now, so nothing was changed. To find out more, contact customer support.
paused-title = Cash-outs are paused
paused-text = For now, money cannot be withdrawn from this wallet, and gift cards cannot be added or refunded. You can still pay with your balance.
paused-support = To find out more, contact { $operator } customer support.

# The gift-card pages' words in English: what is left on each card, when its remainder can
# be given back and where it goes. Money, shares and times arrive already written
# ($amount, $percent, $date); ids match locales/ko/gift_cards.ftl one for one.

gift-cards-title = Gift cards
gift-cards-none = You have not added a gift card yet.
gift-cards-more = You have many gift cards: only the newest are shown.
gift-cards-back = Back to gift cards
gift-cards-see-activity = See it in your activity
gift-cards-redeemed-title = Gift card added
gift-cards-redeemed-text = { $amount } on your { $brand } gift card is in your wallet. You can spend it now.
gift-cards-refunded-title = The rest of your card was given back
gift-cards-refunded-text = The { $amount } left on your { $brand } gift card went to: { $to }
gift-card-name = { $brand } gift card
gift-card-left-of = left of { $face }
gift-card-used = { $percent } used ({ $amount })
gift-card-threshold = Once you have used { $percent } of it, you can get the rest back.
gift-card-refundable-now = You can get the rest back now: { $amount }
gift-card-refund-action = Get the rest back
gift-card-nothing-left = This card is used up.
gift-card-refunded = You got the remaining { $amount } back.
gift-card-spend-more = Spend { $amount } more and you can get the rest back.
gift-card-expires = You can spend it until { $date }.
gift-card-expires-soon = Expires soon: you can spend it until { $date }.
gift-card-expired = It expired on { $date } and can no longer be spent.

## Redeeming a code
redeem-title = Add a gift card
redeem-lead = Enter the code on your gift card and you can spend it in your wallet right away.
redeem-brand-label = Gift card brand
redeem-brand-hint = The brand printed on your gift card.
redeem-brand-choose = Choose a brand
redeem-code-label = Gift card code
redeem-code-hint = { $digits } digits. Spaces and dashes are fine.
redeem-action = Add gift card
redeem-no-brands = No gift cards can be added to this wallet right now.
redeem-brand-missing = Choose the brand of your gift card.
redeem-code-missing = Enter the code on your gift card.
redeem-code-length = Gift card codes are { $digits } digits; you entered { $typed }. Check the code on your card.
redeem-code-not-digits = Gift card codes are { $digits } digits, with no letters.
error-card_brand_unsupported = This brand cannot be used in this wallet. Choose a brand from the list.
error-card_not_found = No gift card of the brand you chose has the code you entered. Check the brand and the code, and enter it again.
error-card_expired = This gift card has expired, so it cannot be added.
error-card_region_locked = This gift card cannot be used where you are.
error-card_already_redeemed = This gift card has been added already. A gift card can be added once only.

## Giving back a remainder
refund-title = Get the rest of your card back
refund-amount-label = Back from your { $brand } gift card
refund-where-label = Where it goes
refund-why-bank_transfer = The card was bought by bank transfer, so the money goes to “Money you added”.
refund-why-earning = The card was bought with your earnings, so the money goes to “Money you added”.
refund-why-refund = The card was bought with refunded money, so the money goes to “Refunds”.
refund-why-cashback = The card was bought with cashback, so the money goes to “Cashback”.
refund-why-promo = The card was bought with promotion points, so the money goes to “Promotion points”.
refund-why-carrier_billing = A card bought through your phone bill cannot be turned into cash. The money goes back where it came from: “Added through your phone bill”.
refund-why-card = A card bought by card cannot be turned into cash. The money goes back where it came from: “Added by card”.
refund-withdrawable = You can also withdraw this money.
refund-not-withdrawable = You can pay with this money, but not withdraw it.
refund-card-empties = Afterwards nothing is left on this gift card.
refund-confirm = Get { $amount } back
refund-cancel = Go back without doing this
refund-nothing-left-title = There is nothing to give back
refund-nothing-left-text = What was left on this gift card was given back already, or it is used up. Nothing was changed.
refund-not-yet-title = You cannot get the rest back yet
refund-not-yet-text = Use a little more of this gift card first. Nothing was changed.

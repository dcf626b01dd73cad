# The gift-card pages' words in Korean (해요체): what is left on each card, when its
# remainder can be given back and where it goes. Money, shares and times arrive already
# written ($amount, $percent, $date); ids match locales/en/gift_cards.ftl one for one.

gift-cards-title = 상품권
gift-cards-none = 아직 등록한 상품권이 없어요.
gift-cards-more = 상품권이 많아서 최근 것만 보여드려요.
gift-cards-back = 상품권 목록으로
gift-cards-see-activity = 내역에서 보기
gift-cards-redeemed-title = 상품권을 등록했어요
gift-cards-redeemed-text = { $brand } 상품권 { $amount }, 지갑에 넣었어요. 바로 쓸 수 있어요.
gift-cards-refunded-title = 남은 돈을 돌려받았어요
gift-cards-refunded-text = { $brand } 상품권에 남은 돈 { $amount }, 돌려받았어요. 돌아간 곳: { $to }
gift-card-name = { $brand } 상품권
gift-card-left-of = { $face } 중 남은 금액
gift-card-used = { $percent } 사용 ({ $amount })
gift-card-threshold = { $percent } 이상 쓰면 남은 돈을 돌려받을 수 있어요.
gift-card-refundable-now = 지금 돌려받을 수 있어요: { $amount }
gift-card-refund-action = 남은 돈 돌려받기
gift-card-nothing-left = 다 쓴 상품권이에요.
gift-card-refunded = 남은 돈 { $amount }, 돌려받았어요.
gift-card-spend-more = { $amount } 더 쓰면 남은 돈을 돌려받을 수 있어요.
gift-card-expires = { $date }까지 쓸 수 있어요.
gift-card-expires-soon = 곧 기간이 끝나요: { $date }까지 쓸 수 있어요.
gift-card-expired = { $date }에 기간이 끝나서 더 쓸 수 없어요.

## Redeeming a code
redeem-title = 상품권 등록하기
redeem-lead = 상품권에 적힌 코드를 넣으면 지갑에서 바로 쓸 수 있어요.
redeem-brand-label = 상품권 브랜드
redeem-brand-hint = 상품권에 적힌 브랜드를 골라 주세요.
redeem-brand-choose = 골라 주세요
redeem-code-label = 상품권 코드
redeem-code-hint = 숫자 { $digits }자리예요. 띄어쓰기나 하이픈(-)은 있어도 괜찮아요.
redeem-action = 등록하기
redeem-no-brands = 지금은 이 지갑에 등록할 수 있는 상품권이 없어요.
redeem-brand-missing = 상품권 브랜드를 골라 주세요.
redeem-code-missing = 상품권 코드를 입력해 주세요.
redeem-code-length = 상품권 코드는 숫자 { $digits }자리인데, 입력한 코드는 { $typed }자리예요. 상품권에 적힌 숫자를 다시 확인해 주세요.
redeem-code-not-digits = 상품권 코드는 숫자 { $digits }자리예요. 숫자만 입력해 주세요.
error-card_brand_unsupported = 이 지갑에서 쓸 수 없는 브랜드예요. 목록에서 브랜드를 골라 주세요.
error-card_not_found = 고른 브랜드에 그 코드로 된 상품권이 없어요. 브랜드와 코드를 확인하고 다시 입력해 주세요.
error-card_expired = 기간이 끝난 상품권이라 등록할 수 없어요.
error-card_region_locked = 이 지역에서는 쓸 수 없는 상품권이에요.
error-card_already_redeemed = 이미 등록된 상품권이에요. 상품권은 한 번만 등록할 수 있어요.

## Giving back a remainder
refund-title = 남은 돈 돌려받기
refund-amount-label = { $brand } 상품권에서 돌려받을 돈
refund-where-label = 돌아갈 곳
refund-why-bank_transfer = 계좌이체로 산 상품권이라 ‘충전한 돈’으로 돌아가요.
refund-why-earning = 수입으로 산 상품권이라 ‘충전한 돈’으로 돌아가요.
refund-why-refund = 환불받은 돈으로 산 상품권이라 ‘환불받은 돈’으로 돌아가요.
refund-why-cashback = 캐시백으로 산 상품권이라 ‘캐시백’으로 돌아가요.
refund-why-promo = 이벤트 포인트로 산 상품권이라 ‘이벤트 포인트’로 돌아가요.
refund-why-carrier_billing = 휴대폰 결제로 산 상품권은 현금으로 돌려받을 수 없어요. 산 곳과 같은 ‘휴대폰 결제로 충전한 돈’으로 돌아가요.
refund-why-card = 카드로 산 상품권은 현금으로 돌려받을 수 없어요. 산 곳과 같은 ‘카드로 충전한 돈’으로 돌아가요.
refund-withdrawable = 돌려받은 돈은 출금할 수도 있어요.
refund-not-withdrawable = 돌려받은 돈은 결제에 쓸 수 있지만 출금할 수는 없어요.
refund-card-empties = 돌려받으면 이 상품권에 남은 돈은 0원이 돼요.
refund-confirm = { $amount } 돌려받기
refund-cancel = 돌려받지 않고 돌아가기
refund-nothing-left-title = 돌려받을 돈이 없어요
refund-nothing-left-text = 이 상품권에 남은 돈은 이미 돌려받았거나 다 썼어요. 아무것도 바뀌지 않았어요.
refund-not-yet-title = 아직 돌려받을 수 없어요
refund-not-yet-text = 상품권을 조금 더 써야 남은 돈을 돌려받을 수 있어요. 아무것도 바뀌지 않았어요.

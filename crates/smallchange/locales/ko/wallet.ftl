# The web wallet's words in Korean: plain polite style (해요체), the number the person cares
# about first, one next step per screen. Money and times arrive already written ($amount,
# $date); ids match locales/en/wallet.ftl one for one (a unit test checks).

wallet-name = 내 지갑
skip-to-content = 본문으로 건너뛰기
nav-label = 지갑 메뉴
nav-home = 홈
nav-activity = 내역
nav-gift-cards = 상품권
nav-cash-out = 출금
nav-settings = 설정
sign-out = 로그아웃
sign-in-with-phone = 휴대폰 번호로 로그인
back-home = 홈으로

## Getting in
front-title = 지갑에 들어가려면
front-text = 이용 중인 앱에서 ‘내 지갑’을 눌러 열어 주세요. 휴대폰 번호로 로그인할 수도 있어요.
link-refused-title = 이 링크는 열 수 없어요
link-refused-text = 이미 사용했거나 5분이 지난 링크예요. 앱에서 지갑을 다시 열어 주세요.
link-open-title = { $operator } 지갑
link-open-text = 아래 버튼을 누르면 지갑이 열려요. 이 링크는 한 번만 쓸 수 있어요.
link-open-button = 지갑 열기
signed-out-title = 로그아웃했어요
signed-out-text = 이 기기에서 지갑이 닫혔어요. 다시 보려면 앱에서 지갑을 열어 주세요.
sign-in-heading = { $operator } 지갑에 로그인
sign-in-lead = 휴대폰 번호를 입력하면 문자로 인증 코드를 보내 드려요.
phone-label = 휴대폰 번호
phone-hint = 가입할 때 쓴 번호예요. 예: 010-1234-5678
send-code = 인증 코드 받기
code-title = 인증 코드 입력
code-sent = 가입된 번호라면 6자리 코드를 문자로 보냈어요. 5분 안에 입력해 주세요.
code-label = 인증 코드 6자리
code-hint = 문자로 받은 숫자 6자리예요.
sign-in = 로그인
ask-new-code = 새 코드 받기
sign-in-code-wrong = 코드가 맞지 않아요. { $left }번 더 입력할 수 있어요.
sign-in-code-wrong-last = 코드가 맞지 않아요. 한 번 더 틀리면 이 코드는 쓸 수 없어요.
sign-in-code-resend-hint = 문자가 오지 않았다면 코드를 다시 받을 수 있어요.
sign-in-code-resend = 다시 받기
sign-in-code-resend-wait = 코드를 너무 자주 받았어요. { $seconds }초 뒤에 다시 받아 주세요.
there-is-a-problem = 확인이 필요해요

## Home
home-title = 내 지갑
total-label = 지갑에 있는 돈
withdrawable-label = 출금할 수 있는 돈
held-label = 출금 진행 중
cash-out-action = 출금하기
nothing-withdrawable = 지금은 출금할 수 있는 돈이 없어요. 아래에서 이유를 확인해 주세요.
on-the-way-title = 진행 중인 출금
next-expiring-title = 곧 만료되는 상품권
next-expiring-text = { $brand } 상품권에 남은 { $amount } · { $date }까지 쓸 수 있어요.
pockets-title = 돈의 종류별로 보기
no-pockets = 아직 지갑이 비어 있어요.
pocket-cash = 충전한 돈
pocket-refund = 환불받은 돈
pocket-cashback = 캐시백
pocket-promo = 이벤트 포인트
pocket-carrier = 휴대폰 결제로 충전한 돈
pocket-card = 카드로 충전한 돈
pocket-gift = { $brand } 상품권
pocket-withdrawable = { $amount } 출금 가능
pocket-not-withdrawable = 출금할 수 없어요. 결제에는 쓸 수 있어요.
pocket-held = 출금 진행 중: { $amount }
# 돈의 종류마다 출금할 수 있는지, 왜 그런지 ($amount, $minimum: 금액, $used, $threshold: 비율).
pocket-why-own_money = 계좌로 충전했거나 수입으로 받은 내 돈이라 출금할 수 있어요.
pocket-why-withdrawable_refund = 출금할 수 있는 돈으로 결제했다가 환불받은 돈이라 출금할 수 있어요.
pocket-why-cashback_enough = 캐시백이 { $minimum } 이상 모여서 출금할 수 있어요.
pocket-why-cashback_too_little = 캐시백은 { $minimum }부터 출금할 수 있어요. { $amount } 더 모이면 돼요.
pocket-why-operator_policy = 이 서비스에서는 이 돈을 출금할 수 없어요. 결제에는 쓸 수 있어요.
pocket-why-promo = 이벤트 포인트는 결제에만 쓸 수 있고 출금할 수 없어요.
pocket-why-carrier = 휴대폰 요금으로 낸 돈이라 결제에만 쓸 수 있고 현금으로 바꿀 수 없어요.
pocket-why-card = 카드로 낸 돈이라 결제에만 쓸 수 있고 현금으로 바꿀 수 없어요.
pocket-why-gift = 상품권은 결제에 쓸 수 있어요. 상품권 조건을 채우면 남은 돈을 돌려받을 수 있어요.
pocket-why-gift_refundable = { $used } 썼어요. 남은 돈 { $amount }, 지금 돌려받을 수 있어요.
pocket-why-gift_spend_more = { $amount } 더 쓰면 남은 돈을 돌려받을 수 있어요. 지금 { $used } 썼고, { $threshold } 이상 쓰면 돼요.
pocket-why-gift_expired = { $date }에 기간이 끝나서 더 쓸 수 없어요. 상품권 조건에 맞으면 남은 돈은 돌려받을 수 있어요.

## Cash-out states
status-awaiting_confirmation = 확인 대기 중
status-in_review = 검토 중
status-processing = 처리 중
status-in_transit = 보내는 중
status-paid = 지급 완료
status-failed = 실패
status-canceled = 취소됨
status-expired = 만료됨

## When something goes wrong
title-not-found = 찾을 수 없어요
title-slow-down = 잠시 후 다시 시도해 주세요
title-our-fault = 문제가 생겼어요
title-cannot = 진행할 수 없어요
title-form-expired = 페이지를 다시 열어 주세요
form-expired = 이 화면이 너무 오래 열려 있었거나 다른 곳에서 보낸 요청이에요. 아무것도 바뀌지 않았어요. 뒤로 가서 새로고침한 뒤 다시 시도해 주세요.
page-not-found = 이 주소에는 아무것도 없어요. 홈에서 다시 찾아 주세요.
form-unreadable = 보낸 내용을 읽을 수 없어요. 아무것도 바뀌지 않았어요.
error-general = 요청을 처리하지 못했어요. (오류 코드: { $code })
error-not_found = 찾는 내용이 없어요.
error-invalid_phone = 휴대폰 번호를 010-1234-5678처럼 입력해 주세요.
error-invalid_code = 문자로 받은 숫자 6자리를 입력해 주세요.
error-otp_invalid = 코드가 맞지 않아요. 문자를 다시 확인해 주세요. 코드는 5번까지 입력할 수 있어요.
error-otp_locked = 이 코드는 더 이상 쓸 수 없어요. 새 코드를 받아 주세요.
error-otp_expired = 코드의 유효 시간이 지났어요. 새 코드를 받아 주세요.
error-rate_limited = 시도가 너무 많아요. { $seconds }초 뒤에 다시 시도해 주세요.

## 출금이 멈춘 지갑
# 운영자가 멈춘 지갑: 일반적인 말로만 알리고, 이유·누가·언제는 절대 말하지 않아요.
# $operator: 운영자 이름.
error-user_frozen = 지금은 이 지갑에서 출금이 멈춰 있어서 아무것도 바뀌지 않았어요. 자세한 내용은 고객센터에 문의해 주세요.
paused-title = 지금은 출금이 멈춰 있어요
paused-text = 당분간 이 지갑에서 돈을 출금하거나 기프트카드를 등록하고 환불할 수 없어요. 잔액으로 결제는 계속 할 수 있어요.
paused-support = 자세한 내용은 { $operator } 고객센터에 문의해 주세요.

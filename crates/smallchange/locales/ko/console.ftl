# 운영자 콘솔 (/console/).
console-name = smallchange 콘솔
console-nav-label = 콘솔 메뉴
console-nav-overview = 개요
console-signed-in-as = { $email } · { $role }
console-role-admin = 관리자
console-role-reviewer = 심사 담당
console-role-support = 고객 지원
console-role-finance = 재무
console-role-readonly = 보기 전용
console-back-to-console = 콘솔로 가기

console-sign-in-title = 콘솔 로그인
console-sign-in-failed = 로그인하지 못했어요
console-email = 이메일
console-password = 비밀번호
console-code = 인증 앱의 코드
console-code-hint = 인증 앱에 지금 보이는 6자리 숫자예요.
console-sign-in = 로그인
console-sign-in-help = 비밀번호나 인증 앱을 잃어버렸다면 관리자에게 새 설정 링크를 요청하세요.

console-setup-title = 콘솔 계정 설정
console-setup-password-lead = { $email } 계정의 비밀번호를 정해 주세요.
console-new-password = 새 비밀번호
console-new-password-hint = 12자 이상이어야 하고 이메일과 같으면 안 돼요. 기억하기 쉬운 단어 몇 개를 이어 쓰면 좋아요.
console-new-password-again = 같은 비밀번호 한 번 더
console-continue = 계속
console-setup-steps = 다음 단계에서 인증 앱을 설정해요. 이 링크는 15분 동안 한 번만 쓸 수 있어요.
console-setup-authenticator-title = 인증 앱 설정
console-setup-authenticator-lead = 인증 앱(Google Authenticator, Microsoft Authenticator 등)으로 이 QR 코드를 스캔한 뒤 앱에 나오는 코드를 입력해 주세요.
console-qr-alt = 인증 앱용 QR 코드
console-secret-instead = 스캔할 수 없다면 이 키를 앱에 직접 입력하세요:
console-setup-code-hint = 앱에 이 계정으로 보이는 6자리 숫자예요.
console-finish-setup = 설정 마치고 로그인
console-link-gone-title = 이 설정 링크는 쓸 수 없어요
console-link-gone-text = 이미 사용했거나, 15분이 지나 만료되었거나, 새 링크로 바뀌었어요. 관리자에게 새 설정 링크를 요청하세요.

console-overview-coming = 로그인했어요. 플랫폼 현황이 여기에 표시될 거예요.

error-sign_in_failed = 이메일, 비밀번호 또는 코드가 맞지 않아요. 확인하고 다시 시도해 주세요. 코드는 30초마다 바뀌어요.
error-password_too_short = 비밀번호는 12자 이상이어야 해요.
error-password_too_long = 비밀번호는 128자 이하여야 해요.
error-password_is_email = 비밀번호를 이메일과 같게 할 수 없어요. 다른 비밀번호를 정해 주세요.
error-passwords_differ = 두 비밀번호가 서로 달라요. 다시 입력해 주세요.
error-invalid_email = name@example.com 같은 이메일 주소를 입력해 주세요.
error-link_gone = 이 설정 링크는 이미 사용했거나 만료되었거나 새 링크로 바뀌었어요. 관리자에게 새 링크를 요청하세요.
error-password_not_chosen = 먼저 비밀번호를 정해 주세요.
error-setup_code_invalid = 인증 앱에 이 계정으로 보이는 코드가 아니에요. 앱을 확인하고 지금 코드를 입력해 주세요.

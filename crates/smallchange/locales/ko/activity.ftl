# The activity page's words in Korean (해요체): a month of what came in and went out, with
# the balance after each. Money and times arrive already written ($amount, $merchant …);
# ids match locales/en/activity.ftl one for one (a unit test checks).

activity-title = 내역
activity-month = { $year }년 { $name }
activity-month-1 = 1월
activity-month-2 = 2월
activity-month-3 = 3월
activity-month-4 = 4월
activity-month-5 = 5월
activity-month-6 = 6월
activity-month-7 = 7월
activity-month-8 = 8월
activity-month-9 = 9월
activity-month-10 = 10월
activity-month-11 = 11월
activity-month-12 = 12월
activity-previous = ← { $month }
activity-next = { $month } →
activity-continued = 이 달의 앞부분에 이어서 보여드려요.
activity-balance-after = 잔액 { $amount }
activity-more = 이 달 내역 더 보기
activity-empty = 이 달에는 내역이 없어요.
activity-download-csv = 이 달 내역 내려받기 (CSV)
activity-download-hint = 엑셀 같은 표 프로그램에서 열 수 있어요.

## What each movement was
activity-topup = 충전
activity-topup-bank_transfer = 계좌이체로 충전
activity-topup-earning = 수입 들어옴
activity-topup-refund = 환불받은 돈 들어옴
activity-topup-cashback = 캐시백 적립
activity-topup-promo = 이벤트 포인트 적립
activity-topup-carrier_billing = 휴대폰 결제로 충전
activity-topup-card = 카드로 충전
activity-payment = { $merchant } 결제
activity-payment-refund = 결제 취소로 돌아온 돈
activity-gift-card-redeem = { $brand } 상품권 등록
activity-gift-card-remainder = 상품권 남은 돈 환불 · 돌아간 곳: { $to }
activity-cashout = 출금
activity-cashout-released = 출금되지 않아 돌아온 돈
activity-cashout-released-failed = 출금 실패로 돌아온 돈
activity-cashout-released-canceled = 출금 취소로 돌아온 돈
activity-cashout-released-expired = 출금 확인 시간이 지나 돌아온 돈
activity-cashout-returned = 출금이 되돌아와서 돌아온 돈
activity-dispute-adjustment = 문의 결과로 바로잡은 돈
activity-other = 기타
activity-pocket-gift = 상품권

## The CSV file's header
activity-csv-when = 일시
activity-csv-what = 내용
activity-csv-pockets = 돈의 종류
activity-csv-amount = 금액
activity-csv-amount-shown = 금액 (표시)
activity-csv-balance = 잔액
activity-csv-balance-shown = 잔액 (표시)

error-invalid_month = 보려는 달을 알 수 없어요. 내역 화면에서 달을 다시 골라 주세요.

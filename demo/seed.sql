-- Demo data: the seed system's categories, SLA rules and demo users (password "password123").
-- Used by `make demo` and as the base fixture of the HTTP tests (users 1, 2, 3 in this order; loaded by tests/run.sh before the HTTP suite).

INSERT INTO helpdesk.users (username, email, password_hash, full_name, role, department, phone) VALUES
    ('admin', 'admin@28h.com', helpdesk.hash_password('password123'), 'Admin User', 'Admin', 'IT', '0123456789'),
    ('itstaff', 'itstaff@28h.com', helpdesk.hash_password('password123'), 'IT Staff User', 'IT_Staff', 'IT', '0123456788'),
    ('employee', 'employee@28h.com', helpdesk.hash_password('password123'), 'Employee User', 'Employee', 'Sales', '0123456787');

INSERT INTO helpdesk.categories (name, description, icon, color, display_order) VALUES
    ('Hardware', 'Hardware issues (computers, printers, peripherals)', 'computer', '#3B82F6', 1),
    ('Software', 'Software installation and issues', 'code', '#10B981', 2),
    ('Network', 'Network connectivity and access issues', 'wifi', '#F59E0B', 3),
    ('Account', 'User account and access management', 'user', '#8B5CF6', 4),
    ('Email', 'Email and communication issues', 'mail', '#EF4444', 5),
    ('Other', 'Other technical support requests', 'help-circle', '#6B7280', 6);

INSERT INTO helpdesk.sla_rules (priority, response_time_hours, resolution_time_hours) VALUES
    ('High', 1, 4),
    ('Medium', 4, 24),
    ('Low', 8, 72);

-- The default business calendar: Mon-Fri 08:00-17:30 in Asia/Ho_Chi_Minh with the seed's holidays.
SELECT helpdesk.calendar_ensure_default('Asia/Ho_Chi_Minh');

-- The reference's four escalation rules (seed-system §3.4), run by the SLA watcher.
INSERT INTO helpdesk.escalation_rules (name, description, priority, trigger_type, trigger_hours,
                                       escalation_level, target_type, target_role) VALUES
    ('High Priority SLA Breach', 'High priority tickets past their resolution deadline go to an Admin',
     'High', 'sla_breached', NULL, 2, 'role', 'Admin'),
    ('High Priority At Risk', 'High priority tickets at risk of breaching go to IT staff',
     'High', 'sla_at_risk', NULL, 1, 'role', 'IT_Staff'),
    ('No Assignment After 2 Hours', 'Tickets still unassigned after 2 hours go to an Admin',
     NULL, 'no_assignment', 2, 1, 'role', 'Admin'),
    ('No Response After 4 Hours', 'Assigned tickets without a response after 4 hours go to an Admin',
     NULL, 'no_response', 4, 1, 'role', 'Admin');

-- ==== Knowledge base: published articles in both languages (the seed's topics), so search and
-- the chatbot can be tried at once. Author: the demo admin. ====
INSERT INTO helpdesk.kb_articles (title, summary, content, category_id, author_id, tags, is_published, published_at,
                                  view_count, helpful_votes, not_helpful_votes)
SELECT a.title, a.summary, btrim(a.content, E'\n'), c.id, u.id, a.tags::text[], true, a.published_at::timestamptz, a.views, a.helpful, a.not_helpful
FROM (VALUES
('Hướng dẫn truy cập hệ thống ERP', 'Địa chỉ, cách đăng nhập và xin cấp quyền ERP.', 'Software', '{erp,"phần mềm",28h}', '2026-01-10 09:00+07', 523, 198, 7, $c$
## Truy cập ERP

Hệ thống ERP của 28H quản lý mua hàng, kho và kế toán.

- Trên mạng công ty: mở **https://erp.28h.vn** bằng Chrome hoặc Edge.
- Làm việc từ xa: bật VPN trước, sau đó mới mở ERP.
- Đăng nhập bằng tài khoản và mật khẩu email công ty.

### Cấp quyền
Tài khoản ERP do trưởng phòng đề nghị qua ticket, IT cấp trong 1 ngày làm việc. Nếu ERP báo "Access denied", hãy kiểm tra bạn đã được cấp quyền cho phân hệ đó chưa.
$c$),
('Hướng dẫn kết nối Wi-Fi văn phòng', 'Mạng 28H-Staff cho nhân viên, 28H-Guest cho khách.', 'Network', '{wifi,mạng,"văn phòng"}', '2026-01-12 09:00+07', 678, 245, 12, $c$
## Mạng Wi-Fi tại văn phòng

- **28H-Staff**: dành cho nhân viên, đăng nhập bằng tài khoản công ty.
- **28H-Guest**: dành cho khách, mật khẩu in trên thẻ ở quầy lễ tân, đổi mỗi tuần.

### Cách kết nối
1. Chọn mạng 28H-Staff.
2. Nhập tên đăng nhập và mật khẩu email công ty.
3. Chấp nhận chứng chỉ bảo mật khi được hỏi.

Nếu không vào được mạng, chọn "Quên mạng" rồi kết nối lại.
$c$),
('Đặt phòng họp và thiết bị trình chiếu', 'Đặt phòng họp qua lịch Outlook.', 'Other', '{"phòng họp",calendar,"máy chiếu"}', '2026-01-13 09:00+07', 445, 187, 9, $c$
Các phòng họp được đặt qua lịch Outlook: tạo cuộc họp mới, nhấn **Room Finder**, chọn tòa nhà và tầng, rồi thêm phòng như một người tham dự. Phòng tự chấp nhận nếu còn trống.

Phòng lớn tầng 5 có máy chiếu và loa hội nghị. Hãy hủy đặt phòng nếu không dùng.
$c$),
('Xử lý máy in và máy photocopy bị kẹt giấy', 'Lấy giấy kẹt an toàn, khi nào cần báo IT.', 'Hardware', '{"máy in","kẹt giấy",printer}', '2026-01-14 09:00+07', 534, 212, 11, $c$
Khi máy in báo kẹt giấy (đèn cam nhấp nháy, màn hình hiện "Paper Jam"):

1. Tắt máy in và chờ 30 giây để bộ sấy nguội.
2. Mở nắp trước, kéo nhẹ tờ giấy bị kẹt theo chiều giấy chạy.
3. Kiểm tra khay 2 và cửa sau, lấy hết mẩu giấy rách.
4. Xếp lại giấy, không để quá vạch giới hạn.

Nếu máy kẹt giấy nhiều lần trong ngày, hãy tạo ticket để IT thay con lăn.
$c$),
('Chính sách bảo mật thông tin', 'Những quy tắc bảo mật mọi nhân viên phải theo.', 'Other', '{"bảo mật",security,"chính sách"}', '2026-01-15 09:00+07', 612, 234, 15, $c$
- Khóa máy tính (Windows + L) mỗi khi rời bàn làm việc.
- Không chia sẻ mật khẩu với bất kỳ ai, kể cả nhân viên IT.
- Không cắm USB lạ vào máy tính công ty.
- Tài liệu mật chỉ lưu trên OneDrive hoặc ổ đĩa chung.
- Báo ngay cho IT khi nghi ngờ rò rỉ dữ liệu hoặc nhận email lừa đảo.
$c$),
('Đặt lại mật khẩu khi quên mật khẩu đăng nhập', 'Tự đặt lại mật khẩu bằng mã OTP.', 'Account', '{"mật khẩu",password,"tài khoản"}', '2026-01-16 09:00+07', 820, 300, 15, $c$
Nếu bạn quên mật khẩu đăng nhập máy tính và email:

1. Mở **https://password.28h.vn** trên điện thoại hoặc máy khác.
2. Nhập địa chỉ email công ty.
3. Nhập mã OTP gửi qua SMS đến số điện thoại đã đăng ký.
4. Đặt mật khẩu mới: ít nhất 12 ký tự, có chữ hoa, chữ thường và số.

Mã OTP hết hạn sau 10 phút. Nếu đã đổi số điện thoại, hãy đến phòng IT và mang theo thẻ nhân viên.
$c$),
('Cài đặt và kết nối VPN khi làm việc từ xa', 'FortiClient VPN để truy cập hệ thống nội bộ từ nhà.', 'Network', '{vpn,"làm việc từ xa",forticlient}', '2026-01-17 09:00+07', 512, 190, 8, $c$
Khi làm việc tại nhà, bạn cần VPN để truy cập ERP, ổ đĩa chung và các hệ thống nội bộ.

1. Tải FortiClient VPN từ cổng phần mềm nội bộ.
2. Tạo kết nối mới: máy chủ **vpn.28h.vn**, cổng 443.
3. Đăng nhập bằng tài khoản công ty và mã xác thực trên điện thoại.

Lỗi "-7200" nghĩa là mật khẩu đã hết hạn: đổi mật khẩu rồi thử lại. Kết nối bị ngắt liên tục: thử mạng dây hoặc 4G.
$c$),
('Configuring company e-mail in Outlook and on your phone', 'Microsoft 365 mail on Windows, macOS, Android and iPhone.', 'Email', '{email,outlook,mobile}', '2026-01-18 09:00+07', 365, 140, 5, $c$
Company mail runs on Microsoft 365.

**Outlook on a computer:** open File > Add Account, enter your work address and password, and approve the sign-in in Microsoft Authenticator.

**On a phone:** install the Outlook app from the App Store or Google Play and sign in with your work address. The built-in mail apps are not supported.

If Outlook keeps asking for your password, remove the old entries in Windows Credential Manager and sign in again.
$c$),
('Reset a forgotten password with the self-service portal', 'Reset your password yourself with a one-time code.', 'Account', '{password,account,reset}', '2026-01-19 09:00+07', 900, 320, 14, $c$
Forgot your password? Reset it yourself at any time:

1. Go to password.28h.vn from your phone or any computer.
2. Enter your work e-mail address.
3. Type the one-time code we send by SMS to your registered mobile number.
4. Choose a new password of at least 12 characters.

The code expires after 10 minutes. If you no longer have your registered phone, visit the IT desk with your staff badge.
$c$),
('Clearing a paper jam on the office printers', 'Remove jammed paper safely; when to call IT.', 'Hardware', '{printer,"paper jam",hardware}', '2026-01-20 09:00+07', 560, 200, 12, $c$
When the printer display shows a paper jam:

1. Switch the printer off and wait 30 seconds: the fuser is hot.
2. Open the front door and pull the jammed sheet slowly in the direction the paper travels.
3. Check tray 2 and the rear door for torn pieces.
4. Fan the paper stack and reload it below the fill line.

If the same printer jams several times a day, log a ticket so we can replace the rollers.
$c$),
('Setting up the VPN client on Windows and macOS', 'FortiClient for remote work.', 'Network', '{vpn,remote,forticlient}', '2026-01-21 09:00+07', 480, 170, 9, $c$
Remote workers reach internal systems through FortiClient VPN. Install FortiClient from Software Center (Windows) or Self Service (macOS), add a connection with remote gateway vpn.28h.vn and port 443, then sign in with your company account and approve the request on your authenticator app.

The tunnel disconnects after 8 hours. Error -7200 means your password has expired: change it and connect again.
$c$)
) AS a(title, summary, category, tags, published_at, views, helpful, not_helpful, content)
JOIN helpdesk.categories c ON c.name = a.category
JOIN helpdesk.users u ON u.email = 'admin@28h.com';

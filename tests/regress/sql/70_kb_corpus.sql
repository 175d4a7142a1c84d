-- The knowledge base's labelled search set: 48 articles (24 Vietnamese, 24 English) on the topics
-- of an IT service desk, and 123 queries of six kinds, each with the article it should find:
--   title     words of the title            body      words found only in the body
--   typo      one or two letters wrong      folded    Vietnamese typed without diacritics
--   question  a natural question            ticket    a problem described as in a ticket
-- Loaded by the regress suite (71_kb_search, 72_kb_relevance use it) and by bench/kb_relevance.sh,
-- which reports hit@1, hit@3 and MRR@10 per kind (bench/RESULTS.md).
-- kb_eval.load() files the articles under the seed's category names (created when missing),
-- written by the staff user kb_author, published, with fixed dates, views and votes.
\set ECHO none
\set QUIET on
CREATE SCHEMA kb_eval;
CREATE TABLE kb_eval.articles (
    key text PRIMARY KEY,
    category text NOT NULL,
    title text NOT NULL,
    tags text[] NOT NULL,
    views int NOT NULL,
    helpful int NOT NULL,
    not_helpful int NOT NULL,
    content text NOT NULL,
    article_id int              -- in helpdesk.kb_articles, once loaded
);
CREATE TABLE kb_eval.queries (
    id serial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('title', 'body', 'typo', 'folded', 'question', 'ticket')),
    q text NOT NULL,
    expected text NOT NULL REFERENCES kb_eval.articles
);

INSERT INTO kb_eval.articles (key, category, title, tags, views, helpful, not_helpful, content) VALUES
('vi_wifi', 'Network', 'Hướng dẫn kết nối Wi-Fi văn phòng', '{wifi,mạng,"văn phòng"}', 678, 245, 12, $c$
## Mạng Wi-Fi tại văn phòng 28H

Văn phòng có hai mạng không dây:
- **28H-Staff**: dành cho nhân viên, đăng nhập bằng tài khoản công ty.
- **28H-Guest**: dành cho khách, mật khẩu in trên thẻ ở quầy lễ tân và đổi mỗi tuần.

### Cách kết nối
1. Bật Wi-Fi trên máy tính hoặc điện thoại.
2. Chọn mạng 28H-Staff.
3. Nhập tên đăng nhập và mật khẩu email công ty.
4. Chấp nhận chứng chỉ bảo mật khi được hỏi.

Nếu vẫn không vào được mạng, hãy chọn "Quên mạng" rồi kết nối lại. Sóng yếu ở phòng họp tầng 5 là bình thường, nên ngồi gần điểm phát sóng.
$c$),
('vi_vpn', 'Network', 'Cài đặt và kết nối VPN khi làm việc từ xa', '{vpn,"làm việc từ xa",forticlient}', 512, 190, 8, $c$
Khi làm việc tại nhà, bạn cần VPN để truy cập ERP, ổ đĩa chung và các hệ thống nội bộ.

### Cài đặt
1. Tải FortiClient VPN từ cổng phần mềm nội bộ.
2. Tạo kết nối mới: máy chủ **vpn.28h.vn**, cổng 443.
3. Đăng nhập bằng tài khoản công ty và mã xác thực hai lớp trên điện thoại.

### Lưu ý
- Chỉ bật VPN khi cần dùng hệ thống nội bộ.
- Phiên VPN tự ngắt sau 8 giờ, hãy kết nối lại.
$c$),
('vi_vpn_error', 'Network', 'Khắc phục lỗi VPN không kết nối được', '{vpn,lỗi,"mạng"}', 430, 150, 20, $c$
Nếu FortiClient báo lỗi hoặc kết nối bị treo ở 40%, làm lần lượt các bước sau:

1. Kiểm tra Internet ở nhà: mở một trang web bất kỳ.
2. Kiểm tra ngày giờ trên máy tính; lệch giờ làm chứng chỉ bị từ chối.
3. Lỗi "credential or ssl vpn configuration is wrong (-7200)": mật khẩu đã hết hạn, hãy đổi mật khẩu rồi thử lại.
4. Kết nối bị ngắt liên tục: chuyển từ Wi-Fi sang mạng dây hoặc 4G để thử.
5. Gỡ và cài lại FortiClient nếu vẫn lỗi.

Nếu vẫn không được, tạo ticket và gửi kèm ảnh chụp màn hình thông báo lỗi.
$c$),
('vi_password_reset', 'Account', 'Đặt lại mật khẩu khi quên mật khẩu đăng nhập', '{"mật khẩu",password,"tài khoản"}', 820, 300, 15, $c$
Nếu bạn quên mật khẩu đăng nhập máy tính và email:

1. Mở trang **https://password.28h.vn** trên điện thoại hoặc máy khác.
2. Nhập địa chỉ email công ty.
3. Nhập mã OTP được gửi qua tin nhắn SMS đến số điện thoại đã đăng ký.
4. Đặt mật khẩu mới: ít nhất 12 ký tự, có chữ hoa, chữ thường và số.

Mã OTP hết hạn sau 10 phút. Nếu số điện thoại đã thay đổi, hãy đến phòng IT và mang theo thẻ nhân viên.
$c$),
('vi_password_change', 'Account', 'Đổi mật khẩu tài khoản định kỳ', '{"mật khẩu","bảo mật"}', 410, 120, 6, $c$
Theo chính sách bảo mật, mật khẩu phải được đổi 90 ngày một lần. Hệ thống sẽ nhắc bạn trước 14 ngày.

Cách đổi trên máy Windows: nhấn Ctrl + Alt + Delete, chọn "Change a password", nhập mật khẩu cũ rồi nhập mật khẩu mới hai lần.

Không dùng lại 5 mật khẩu gần nhất. Sau khi đổi, hãy cập nhật mật khẩu mới trên điện thoại để email không bị khóa.
$c$),
('vi_printer_jam', 'Hardware', 'Xử lý máy in bị kẹt giấy', '{"máy in","kẹt giấy",printer}', 534, 212, 11, $c$
Khi máy in báo kẹt giấy (đèn cam nhấp nháy, màn hình hiện "Paper Jam"):

1. Tắt máy in và chờ 30 giây để bộ sấy nguội.
2. Mở nắp trước, kéo nhẹ tờ giấy bị kẹt theo chiều giấy chạy, không giật mạnh.
3. Kiểm tra khay 2 và cửa sau; lấy hết mẩu giấy rách.
4. Xếp lại giấy trong khay, không để quá vạch giới hạn.

Giấy ẩm hoặc giấy tái sử dụng dễ gây kẹt. Nếu máy in tầng 3 kẹt giấy nhiều lần trong ngày, báo IT để thay con lăn.
$c$),
('vi_printer_driver', 'Hardware', 'Cài đặt driver máy in và máy photocopy', '{"máy in",driver,photocopy}', 298, 90, 7, $c$
Để in từ máy tính cá nhân, cần cài driver cho máy in hoặc máy photocopy Ricoh ở mỗi tầng.

1. Mở Software Center, tìm "Ricoh Universal Print Driver" và cài đặt.
2. Vào Settings > Printers & scanners > Add a printer.
3. Chọn máy in theo tên tầng, ví dụ PRN-T3-RICOH.
4. In thử một trang.

Máy photocopy yêu cầu nhập mã nhân viên khi in màu.
$c$),
('vi_email_outlook', 'Email', 'Cấu hình email công ty trên Outlook', '{email,outlook}', 365, 140, 5, $c$
Email công ty dùng Microsoft 365. Để cài đặt trên Outlook cho máy tính:

1. Mở Outlook, chọn File > Add Account.
2. Nhập địa chỉ email công ty (ví dụ an.nguyen@28h.vn) và mật khẩu.
3. Xác nhận bằng ứng dụng Authenticator trên điện thoại.
4. Chờ Outlook đồng bộ hộp thư, có thể mất vài phút.

Nếu Outlook liên tục hỏi mật khẩu, hãy xóa thông tin đăng nhập cũ trong Credential Manager.
$c$),
('vi_email_phone', 'Email', 'Cài đặt email trên điện thoại di động', '{email,"điện thoại",mobile}', 280, 95, 4, $c$
Bạn có thể đọc email công ty trên điện thoại Android hoặc iPhone bằng ứng dụng Outlook.

- Tải Outlook từ App Store hoặc Google Play.
- Đăng nhập bằng email công ty, duyệt yêu cầu trên Authenticator.
- Cho phép ứng dụng quản lý thiết bị (Intune) để bảo vệ dữ liệu công ty.

Không dùng ứng dụng Mail mặc định vì không được hỗ trợ. Khi mất điện thoại, báo IT ngay để xóa dữ liệu công ty từ xa.
$c$),
('vi_erp_access', 'Software', 'Hướng dẫn truy cập hệ thống ERP', '{erp,"phần mềm",28h}', 523, 198, 7, $c$
Hệ thống ERP của 28H quản lý mua hàng, kho và kế toán.

### Truy cập
- Trên mạng công ty: mở **https://erp.28h.vn** bằng Chrome hoặc Edge.
- Làm việc từ xa: bật VPN trước, sau đó mới mở ERP.

### Cấp quyền
Tài khoản ERP do trưởng phòng đề nghị qua ticket, IT cấp trong 1 ngày làm việc. Mỗi người chỉ thấy các phân hệ được cấp quyền.

Nếu ERP báo "Access denied", hãy kiểm tra bạn đã được cấp quyền cho phân hệ đó chưa.
$c$),
('vi_erp_report', 'Software', 'Xuất báo cáo từ ERP ra Excel', '{erp,"báo cáo",excel}', 240, 80, 3, $c$
Để xuất báo cáo tồn kho hoặc doanh thu từ ERP:

1. Mở phân hệ Báo cáo, chọn mẫu báo cáo.
2. Chọn khoảng thời gian và bộ lọc (chi nhánh, kho).
3. Nhấn "Xuất" và chọn định dạng Excel (.xlsx).

Báo cáo lớn hơn 50.000 dòng sẽ được gửi qua email thay vì tải trực tiếp. Nếu file Excel bị lỗi font, hãy mở bằng Excel 365.
$c$),
('vi_meeting_room', 'Other', 'Đặt phòng họp và thiết bị trình chiếu', '{"phòng họp",calendar,"máy chiếu"}', 445, 187, 9, $c$
Các phòng họp được đặt qua lịch Outlook.

1. Tạo cuộc họp mới trong Outlook Calendar.
2. Nhấn "Room Finder", chọn tòa nhà và tầng.
3. Thêm phòng họp như một người tham dự; phòng tự chấp nhận nếu còn trống.

Phòng lớn tầng 5 có máy chiếu và loa hội nghị. Hủy đặt phòng nếu không dùng để người khác có thể đặt.
$c$),
('vi_security', 'Other', 'Chính sách bảo mật thông tin', '{"bảo mật",security,"chính sách"}', 612, 234, 15, $c$
Mọi nhân viên phải tuân thủ chính sách bảo mật thông tin của công ty:

- Khóa máy tính (Windows + L) mỗi khi rời bàn làm việc.
- Không chia sẻ mật khẩu với bất kỳ ai, kể cả nhân viên IT.
- Không cắm USB lạ vào máy tính công ty.
- Tài liệu mật chỉ lưu trên OneDrive hoặc ổ đĩa chung, không lưu trên máy cá nhân.
- Báo ngay cho IT khi nghi ngờ rò rỉ dữ liệu.

Vi phạm chính sách có thể bị xử lý kỷ luật.
$c$),
('vi_backup', 'Software', 'Sao lưu dữ liệu lên OneDrive', '{"sao lưu",onedrive,backup}', 310, 110, 5, $c$
Dữ liệu trên máy tính không được sao lưu tự động. Hãy lưu tài liệu vào OneDrive để tránh mất dữ liệu khi máy hỏng.

1. Mở OneDrive từ thanh tác vụ và đăng nhập bằng email công ty.
2. Bật "Sao lưu thư mục" cho Desktop, Documents và Pictures.
3. Biểu tượng đám mây màu xanh cho biết tệp đã được đồng bộ.

Dung lượng OneDrive của mỗi người là 1 TB. Tệp đã xóa có thể khôi phục trong 93 ngày.
$c$),
('vi_laptop_slow', 'Hardware', 'Máy tính chạy chậm, bị treo', '{"máy tính",chậm,laptop}', 390, 130, 18, $c$
Máy tính chạy chậm thường do quá nhiều chương trình khởi động cùng Windows hoặc ổ cứng đầy.

- Khởi động lại máy ít nhất mỗi tuần một lần.
- Mở Task Manager (Ctrl + Shift + Esc) xem chương trình nào dùng nhiều CPU, RAM.
- Xóa tệp tạm bằng Disk Cleanup, giữ ổ C trống trên 15%.
- Tắt bớt tab trình duyệt không dùng.

Nếu máy vẫn bị treo hoặc quạt kêu to, tạo ticket để IT kiểm tra phần cứng, có thể nâng cấp RAM hoặc ổ SSD.
$c$),
('vi_monitor', 'Hardware', 'Màn hình không hiển thị hoặc bị nhấp nháy', '{"màn hình",monitor}', 205, 70, 6, $c$
Khi màn hình đen hoặc báo "No signal":

1. Kiểm tra dây nguồn và đèn báo trên màn hình.
2. Rút và cắm lại cáp HDMI hoặc DisplayPort ở cả hai đầu.
3. Nhấn Windows + P và chọn "Duplicate" hoặc "Extend".
4. Thử cáp khác hoặc cổng khác trên dock.

Màn hình nhấp nháy thường do cáp lỏng hoặc tần số quét sai; vào Display settings chọn 60 Hz.
$c$),
('vi_software_install', 'Software', 'Yêu cầu cài đặt phần mềm mới', '{"phần mềm","cài đặt",license}', 260, 85, 9, $c$
Nhân viên không có quyền quản trị nên không tự cài được phần mềm.

- Phần mềm có sẵn (Office, Zoom, 7-Zip, Adobe Reader): tự cài trong Software Center.
- Phần mềm khác: tạo ticket ghi rõ tên phần mềm, phiên bản và lý do sử dụng.
- Phần mềm có bản quyền trả phí cần trưởng phòng phê duyệt.

IT sẽ kiểm tra an toàn và cài đặt từ xa trong 2 ngày làm việc.
$c$),
('vi_account_locked', 'Account', 'Tài khoản bị khóa sau nhiều lần đăng nhập sai', '{"tài khoản",khóa,"đăng nhập"}', 350, 125, 10, $c$
Tài khoản sẽ bị khóa 30 phút nếu nhập sai mật khẩu 5 lần liên tiếp.

Nguyên nhân thường gặp: điện thoại hoặc máy tính khác vẫn dùng mật khẩu cũ và tự động đăng nhập lại.

Cách xử lý:
- Chờ 30 phút rồi đăng nhập lại, hoặc gọi IT mở khóa (máy lẻ 1234).
- Cập nhật mật khẩu mới trên mọi thiết bị: điện thoại, máy tính bảng, Wi-Fi.
$c$),
('vi_phishing', 'Email', 'Nhận diện email lừa đảo', '{phishing,email,"lừa đảo","bảo mật"}', 330, 140, 4, $c$
Email lừa đảo (phishing) giả mạo ngân hàng, đối tác hoặc chính phòng IT để lấy mật khẩu.

Dấu hiệu nhận biết:
- Người gửi có địa chỉ lạ hoặc sai chính tả tên miền.
- Yêu cầu gấp: "tài khoản sẽ bị khóa trong 24 giờ".
- Đường link dẫn tới trang đăng nhập giả.

Không bấm vào link, không mở tệp đính kèm. Dùng nút "Report Phishing" trong Outlook để gửi cho IT.
$c$),
('vi_teams', 'Software', 'Họp trực tuyến bằng Microsoft Teams', '{teams,"họp trực tuyến",meeting}', 295, 100, 5, $c$
Microsoft Teams dùng để họp trực tuyến, nhắn tin và chia sẻ tài liệu.

- Tạo cuộc họp: vào Calendar trong Teams, chọn "New meeting", thêm người tham dự.
- Chia sẻ màn hình: nhấn nút Share trong cuộc họp.
- Ghi âm cuộc họp: More actions > Start recording; bản ghi lưu trên OneDrive của người tổ chức.

Dùng tai nghe để tránh tiếng vọng. Nếu không nghe thấy âm thanh, kiểm tra thiết bị âm thanh trong Settings > Devices.
$c$),
('vi_2fa', 'Account', 'Thiết lập xác thực hai lớp bằng Microsoft Authenticator', '{mfa,"xác thực",authenticator}', 360, 150, 8, $c$
Xác thực hai lớp bảo vệ tài khoản khi mật khẩu bị lộ.

1. Cài Microsoft Authenticator trên điện thoại.
2. Trên máy tính, mở https://aka.ms/mysecurityinfo và chọn "Add sign-in method".
3. Quét mã QR bằng ứng dụng Authenticator.
4. Duyệt thông báo thử để hoàn tất.

Khi đổi điện thoại, hãy chuyển Authenticator sang máy mới trước khi xóa máy cũ; nếu mất điện thoại, liên hệ IT để đặt lại phương thức xác thực.
$c$),
('vi_shared_drive', 'Network', 'Truy cập ổ đĩa chung của phòng ban', '{"ổ đĩa chung","thư mục",network}', 270, 88, 6, $c$
Mỗi phòng ban có một ổ đĩa chung trên máy chủ tệp \\fs01.

- Mở File Explorer, gõ \\fs01\tên-phòng-ban vào thanh địa chỉ.
- Ổ đĩa chung được gắn sẵn là ổ S: khi đăng nhập trong mạng công ty.
- Làm việc từ xa cần bật VPN trước.

Nếu báo "You do not have permission", hãy nhờ trưởng phòng tạo ticket cấp quyền thư mục.
$c$),
('vi_new_employee', 'Other', 'Nhận máy tính và tài khoản cho nhân viên mới', '{"nhân viên mới",onboarding,"thiết bị"}', 190, 60, 2, $c$
Trước ngày làm việc đầu tiên, phòng Nhân sự gửi thông tin nhân viên mới cho IT.

Ngày đầu tiên, nhân viên mới nhận tại phòng IT:
- Máy tính xách tay đã cài sẵn phần mềm, sạc và chuột.
- Tài khoản email, mật khẩu tạm thời (phải đổi khi đăng nhập lần đầu).
- Thẻ ra vào văn phòng.

Nhân viên ký biên bản bàn giao thiết bị và hoàn trả khi nghỉ việc.
$c$),
('vi_virus', 'Hardware', 'Máy tính nghi nhiễm virus hoặc mã độc', '{virus,"mã độc",antivirus}', 225, 75, 3, $c$
Dấu hiệu máy tính nhiễm virus: quảng cáo lạ bật lên, tệp bị đổi đuôi, máy chạy rất chậm, phần mềm diệt virus bị tắt.

Hãy làm ngay:
1. Rút cáp mạng và tắt Wi-Fi để cách ly máy.
2. Không tắt nguồn, không xóa tệp.
3. Gọi IT qua đường dây nóng 1234.

Microsoft Defender được cài sẵn và quét hàng ngày. Không tự cài phần mềm diệt virus khác.
$c$),
('en_wifi_guest', 'Network', 'Connecting guests to the Wi-Fi network', '{wifi,guest,wireless}', 310, 95, 4, $c$
Visitors must never use the staff network. Give them access to **28H-Guest** instead:

1. Ask reception for a guest voucher; each voucher is valid for 24 hours and one device.
2. The guest selects 28H-Guest and opens any web page.
3. The captive portal asks for the voucher code and accepts the terms of use.

Guest Wi-Fi is isolated from internal systems and limited to 10 Mbit/s. Contractors who need longer access should be sponsored by their manager through a ticket.
$c$),
('en_vpn_setup', 'Network', 'Setting up the VPN client on Windows and macOS', '{vpn,remote,forticlient}', 480, 170, 9, $c$
Remote workers reach internal systems through FortiClient VPN.

### Windows
Install FortiClient from Software Center, add a connection named 28H with remote gateway vpn.28h.vn and port 443, then sign in with your company account.

### macOS
Install FortiClient from Self Service, allow the system extension in System Settings > Privacy & Security, then add the same gateway.

Approve the sign-in on your authenticator app. The tunnel disconnects after 8 hours of use.
$c$),
('en_password_reset', 'Account', 'Reset a forgotten password with the self-service portal', '{password,account,reset}', 900, 320, 14, $c$
Forgot your password? You can reset it yourself at any time:

1. Go to password.28h.vn from your phone or any computer.
2. Enter your work e-mail address.
3. Type the one-time code we send by SMS to your registered mobile number.
4. Choose a new password of at least 12 characters.

The code expires after 10 minutes. If you no longer have access to your registered phone, visit the IT desk with your staff badge.
$c$),
('en_mfa', 'Account', 'Enrol your phone for multi-factor authentication', '{mfa,authenticator,security}', 420, 160, 10, $c$
Multi-factor authentication (MFA) protects your account even if someone learns your password.

1. Install Microsoft Authenticator on your phone.
2. On a computer, open aka.ms/mysecurityinfo and click Add sign-in method.
3. Choose Authenticator app and scan the QR code.
4. Approve the test notification.

Getting a new phone? Move Authenticator to it before wiping the old one. Lost your phone? Call the service desk so we can reset your sign-in methods.
$c$),
('en_printer_jam', 'Hardware', 'Clearing a paper jam on the office printers', '{printer,"paper jam",hardware}', 560, 200, 12, $c$
When the printer display shows a paper jam:

1. Switch the printer off and wait 30 seconds: the fuser is hot.
2. Open the front door and pull the jammed sheet slowly in the direction the paper travels.
3. Check tray 2 and the rear door for torn pieces.
4. Fan the paper stack and reload it below the fill line.

Damp or reused paper causes most jams. If the same printer jams several times a day, log a ticket so we can replace the rollers.
$c$),
('en_printer_add', 'Hardware', 'Adding a network printer to your computer', '{printer,driver,network}', 300, 105, 6, $c$
Every floor has a Ricoh multifunction printer named after its floor, for example PRN-F3-RICOH.

1. Open Settings > Bluetooth & devices > Printers & scanners.
2. Click Add device; if the printer is not listed, choose Add manually and enter \\print01\PRN-F3-RICOH.
3. Windows installs the driver automatically.

Colour printing needs your staff PIN at the device. Scanning to e-mail works from the printer panel without any setup.
$c$),
('en_outlook_calendar', 'Email', 'Sharing your Outlook calendar', '{outlook,calendar,sharing}', 260, 90, 3, $c$
You can let colleagues see when you are free, or manage your meetings for you.

1. In Outlook, open the calendar and choose Share calendar.
2. Add the person and pick a permission level: Can view when I'm busy, Can view all details, or Can edit.
3. Click OK; they receive an invitation to add your calendar.

Delegates (assistants) should be given Can edit. To stop sharing, open the same dialog and remove the person.
$c$),
('en_mailbox_full', 'Email', 'Mailbox full: archiving old email', '{email,mailbox,archive,outlook}', 340, 115, 7, $c$
Each mailbox holds 50 GB. When Outlook warns that your mailbox is almost full, you can no longer send messages once it reaches the limit.

- Empty Deleted Items and Junk Email.
- Sort by size and delete large attachments you no longer need.
- Turn on the online archive: messages older than two years move there automatically.

Never export mail to PST files on your laptop; they are not backed up.
$c$),
('en_email_signature', 'Email', 'Setting up your email signature', '{email,signature,outlook}', 150, 50, 2, $c$
The company signature contains your name, job title, phone number and the 28H logo.

In Outlook on Windows open File > Options > Mail > Signatures; in Outlook on the web open Settings > Mail > Compose and reply. Paste the template from the intranet and fill in your details.

Do not add quotes, images or personal links. The signature is added to new messages and replies.
$c$),
('en_erp_login', 'Software', 'ERP login errors and how to fix them', '{erp,login,error}', 380, 130, 11, $c$
Common messages when signing in to the ERP system:

- **Invalid user or password**: the ERP uses your company password; if you changed it recently, sign out of all ERP tabs and try again.
- **Access denied to module**: you have no role for that module; your manager must request it through a ticket.
- **Session expired**: the ERP logs you out after 30 minutes without activity.
- **Page cannot be reached from home**: connect the VPN first.

Use Chrome or Edge; Internet Explorer is not supported.
$c$),
('en_laptop_battery', 'Hardware', 'Laptop battery drains quickly', '{laptop,battery,power}', 210, 66, 8, $c$
A battery that lasts less than two hours usually needs a settings change, not a new battery.

- Lower the screen brightness and turn on Battery saver.
- Close apps that keep running in the background, such as video calls.
- Check Settings > System > Power & battery > Battery usage to find the culprit.

Batteries older than three years lose capacity. If the battery is swollen, stop using the laptop and bring it to IT immediately.
$c$),
('en_blue_screen', 'Hardware', 'Computer shows a blue screen and restarts', '{crash,"blue screen",windows}', 190, 55, 9, $c$
A blue screen (stop error) means Windows crashed to protect your data.

1. Write down the stop code shown on the screen, for example MEMORY_MANAGEMENT.
2. Restart and install pending Windows updates and driver updates.
3. Unplug recently added devices such as docks or USB drives.

If the crash happens again, log a ticket with the stop code and the time it happened so we can read the crash dump.
$c$),
('en_software_request', 'Software', 'Requesting new software or a licence', '{software,licence,install}', 240, 80, 5, $c$
Standard applications (Office, Zoom, 7-Zip, Adobe Reader) can be installed without help from Software Center.

For anything else, log a ticket with the product name, the version, and why you need it. Paid software requires your manager's approval and a cost centre.

IT checks every request for security and licence terms and installs approved software remotely within two working days.
$c$),
('en_onedrive_sync', 'Software', 'OneDrive files are not syncing', '{onedrive,sync,backup}', 275, 92, 10, $c$
A red cross or a paused icon on the OneDrive cloud means files are not syncing.

- Click the cloud icon and read the message: sign in again if asked.
- Rename files whose names contain characters such as " * : < > ? / \ |.
- Make sure the file is not open in another program.
- Free disk space: OneDrive needs room for its cache.

If sync is stuck, choose Settings > Account > Unlink this PC and sign in again; your files stay in the cloud.
$c$),
('en_teams_audio', 'Software', 'No sound or microphone in Teams meetings', '{teams,audio,microphone,headset}', 330, 120, 13, $c$
If people cannot hear you, or you cannot hear them, in a Teams meeting:

1. Click your profile picture > Settings > Devices and choose the right speaker and microphone.
2. Make test call to check both.
3. Check that the headset is not muted by its own switch.
4. In Windows sound settings, allow apps to use the microphone.

Bluetooth headsets sometimes switch to a low-quality mode; use the USB dongle or a wired headset for long meetings.
$c$),
('en_remote_desktop', 'Network', 'Connecting to your office PC with Remote Desktop', '{"remote desktop",rdp,remote}', 220, 70, 4, $c$
You can use your office desktop from home with Remote Desktop.

1. Leave the office PC switched on and signed out.
2. At home, connect the VPN.
3. Open Remote Desktop Connection, type the computer name printed on the label (for example PC-HN-0423) and sign in with your company account.

If the connection fails, check that the VPN is up and that the office PC did not go to sleep.
$c$),
('en_account_lockout', 'Account', 'Account locked after too many sign-in attempts', '{account,lockout,login}', 360, 118, 9, $c$
Five wrong passwords in a row lock your account for 30 minutes.

The usual cause is an old password saved on another device, such as your phone's mail app or a mapped drive, that keeps trying to sign in.

- Wait 30 minutes, or call the service desk to unlock the account now.
- Update the password everywhere you use it: phone, tablet, Wi-Fi profile.
$c$),
('en_phishing_report', 'Email', 'How to report a suspicious email', '{phishing,email,security}', 290, 110, 2, $c$
Phishing messages try to trick you into giving away your password or opening malware.

Warning signs: an unusual sender address, urgent threats such as "your account will be closed", links to login pages, unexpected attachments.

Do not click links or open attachments. Use the Report Phishing button in Outlook; the message is sent to the security team and removed from your inbox. If you already typed your password, change it at once and tell IT.
$c$),
('en_keyboard_mouse', 'Hardware', 'Wireless keyboard or mouse not responding', '{keyboard,mouse,wireless}', 170, 60, 5, $c$
When a wireless keyboard or mouse stops working:

1. Replace the batteries or charge the device.
2. Plug the USB receiver directly into the laptop, not into a hub.
3. Switch the device off and on, and press the connect button.
4. For Bluetooth devices, remove the device in Settings and pair it again.

Spare keyboards and mice are available at the IT desk.
$c$),
('en_data_privacy', 'Other', 'Handling customer personal data', '{privacy,data,policy,security}', 180, 64, 3, $c$
Customer personal data (names, phone numbers, ID numbers, addresses) may only be stored in approved systems: the ERP and the CRM.

- Never send customer lists to personal e-mail or chat apps.
- Share files through OneDrive links limited to named people.
- Delete local copies when the work is done.

Report any loss of personal data to the data protection officer within 24 hours.
$c$),
('en_dual_monitor', 'Hardware', 'Setting up a second monitor', '{monitor,display,dock}', 200, 72, 3, $c$
To work with two screens:

1. Connect the monitor to the dock or laptop with HDMI or DisplayPort.
2. Press Windows + P and choose Extend.
3. In Display settings, drag the screens to match how they sit on your desk and pick the main display.

If the second screen stays black, try another cable and check that the monitor's input source matches the port you used.
$c$),
('en_new_starter', 'Other', 'IT checklist for new starters', '{onboarding,"new starter",equipment}', 160, 55, 1, $c$
Managers should log a new starter ticket at least five working days before the start date.

On the first day the new starter collects from the IT desk:
- a laptop with standard software, charger and mouse;
- their account and a temporary password that must be changed at first sign-in;
- an access badge.

Equipment is signed for and returned on the last working day.
$c$),
('en_shared_folder', 'Network', 'Mapping a shared network drive', '{"shared drive",network,folder}', 250, 84, 6, $c$
Department shares live on the file server \\fs01.

1. Open File Explorer and right-click This PC > Map network drive.
2. Pick a letter and enter \\fs01\your-department.
3. Tick Reconnect at sign-in.

From home, connect the VPN first. "Access is denied" means you are not in the department's group: ask your manager to request access.
$c$),
('en_browser_cache', 'Software', 'Clearing the browser cache when a web app misbehaves', '{browser,cache,chrome,edge}', 140, 40, 2, $c$
Old files kept by the browser can make web applications show errors, blank pages or outdated screens.

In Chrome or Edge press Ctrl + Shift + Delete, choose Cached images and files and Cookies, set the time range to All time, and click Clear data. Then close every browser window and open the site again.

Try a private window first: if the site works there, the cache was the problem.
$c$)
;

INSERT INTO kb_eval.queries (kind, q, expected) VALUES
-- exact title words
('title', 'kết nối Wi-Fi văn phòng', 'vi_wifi'),
('title', 'Khắc phục lỗi VPN', 'vi_vpn_error'),
('title', 'đặt lại mật khẩu', 'vi_password_reset'),
('title', 'máy in bị kẹt giấy', 'vi_printer_jam'),
('title', 'cài đặt driver máy in', 'vi_printer_driver'),
('title', 'xuất báo cáo ERP ra Excel', 'vi_erp_report'),
('title', 'đặt phòng họp', 'vi_meeting_room'),
('title', 'chính sách bảo mật thông tin', 'vi_security'),
('title', 'sao lưu dữ liệu OneDrive', 'vi_backup'),
('title', 'Sharing your Outlook calendar', 'en_outlook_calendar'),
('title', 'paper jam office printers', 'en_printer_jam'),
('title', 'multi-factor authentication', 'en_mfa'),
('title', 'blue screen', 'en_blue_screen'),
('title', 'report a suspicious email', 'en_phishing_report'),
('title', 'mapping a shared network drive', 'en_shared_folder'),
('title', 'second monitor', 'en_dual_monitor'),
('title', 'laptop battery', 'en_laptop_battery'),
('title', 'Remote Desktop', 'en_remote_desktop'),
-- words of the body only
('body', '28H-Guest voucher', 'en_wifi_guest'),
('body', 'captive portal', 'en_wifi_guest'),
('body', 'credential or ssl vpn configuration is wrong -7200', 'vi_vpn_error'),
('body', 'Ctrl + Alt + Delete change a password', 'vi_password_change'),
('body', 'Room Finder', 'vi_meeting_room'),
('body', 'Credential Manager', 'vi_email_outlook'),
('body', 'Intune', 'vi_email_phone'),
('body', 'PST files', 'en_mailbox_full'),
('body', 'online archive', 'en_mailbox_full'),
('body', 'MEMORY_MANAGEMENT stop code', 'en_blue_screen'),
('body', 'thay con lăn', 'vi_printer_jam'),
('body', 'Windows + L khóa máy', 'vi_security'),
('body', 'Disk Cleanup', 'vi_laptop_slow'),
('body', 'No signal HDMI', 'vi_monitor'),
('body', 'data protection officer', 'en_data_privacy'),
('body', 'Unlink this PC', 'en_onedrive_sync'),
('body', 'mở khóa máy lẻ 1234', 'vi_account_locked'),
('body', 'Ctrl + Shift + Delete cookies', 'en_browser_cache'),
-- typos
('typo', 'pasword reset', 'en_password_reset'),
('typo', 'outlok calender sharing', 'en_outlook_calendar'),
('typo', 'printr paper jamm', 'en_printer_jam'),
('typo', 'blue screan', 'en_blue_screen'),
('typo', 'microphne not working in teams', 'en_teams_audio'),
('typo', 'onedrive not synching', 'en_onedrive_sync'),
('typo', 'acount locked', 'en_account_lockout'),
('typo', 'keybord not responding', 'en_keyboard_mouse'),
('typo', 'mailbox ful archieve', 'en_mailbox_full'),
('typo', 'remote desktp', 'en_remote_desktop'),
('typo', 'multi-factor authenticaton', 'en_mfa'),
('typo', 'ket noi wifii van phong', 'vi_wifi'),
('typo', 'network printter add', 'en_printer_add'),
('typo', 'phishng email report', 'en_phishing_report'),
('typo', 'seccond monitor setup', 'en_dual_monitor'),
('typo', 'laptop batery drains', 'en_laptop_battery'),
('typo', 'ERP logn error', 'en_erp_login'),
('typo', 'sofware request licence', 'en_software_request'),
-- Vietnamese typed without diacritics
('folded', 'ket noi wifi van phong', 'vi_wifi'),
('folded', 'vpn khong ket noi duoc', 'vi_vpn_error'),
('folded', 'quen mat khau', 'vi_password_reset'),
('folded', 'doi mat khau dinh ky', 'vi_password_change'),
('folded', 'may in bi ket giay', 'vi_printer_jam'),
('folded', 'cai driver may photocopy', 'vi_printer_driver'),
('folded', 'cau hinh email outlook', 'vi_email_outlook'),
('folded', 'cai email tren dien thoai', 'vi_email_phone'),
('folded', 'truy cap erp', 'vi_erp_access'),
('folded', 'xuat bao cao excel', 'vi_erp_report'),
('folded', 'dat phong hop', 'vi_meeting_room'),
('folded', 'sao luu du lieu', 'vi_backup'),
('folded', 'may tinh chay cham', 'vi_laptop_slow'),
('folded', 'man hinh bi nhap nhay', 'vi_monitor'),
('folded', 'tai khoan bi khoa', 'vi_account_locked'),
('folded', 'email lua dao', 'vi_phishing'),
('folded', 'xac thuc hai lop', 'vi_2fa'),
('folded', 'o dia chung phong ban', 'vi_shared_drive'),
('folded', 'may tinh bi nhiem virus', 'vi_virus'),
-- natural questions
('question', 'Làm sao để kết nối mạng Wi-Fi của công ty?', 'vi_wifi'),
('question', 'Làm thế nào để cài VPN khi làm việc ở nhà?', 'vi_vpn'),
('question', 'Tôi quên mật khẩu thì phải làm gì?', 'vi_password_reset'),
('question', 'Tại sao máy tính của tôi chạy rất chậm?', 'vi_laptop_slow'),
('question', 'Làm sao để đặt phòng họp?', 'vi_meeting_room'),
('question', 'Nhân viên mới nhận máy tính ở đâu?', 'vi_new_employee'),
('question', 'Làm sao để họp trực tuyến trên Teams?', 'vi_teams'),
('question', 'Cách nhận biết email lừa đảo là gì?', 'vi_phishing'),
('question', 'How do I share my calendar with a colleague?', 'en_outlook_calendar'),
('question', 'How can I reset my password if I forgot it?', 'en_password_reset'),
('question', 'What should I do when the printer says paper jam?', 'en_printer_jam'),
('question', 'How do I connect to my office computer from home?', 'en_remote_desktop'),
('question', 'Why is my laptop battery running out so fast?', 'en_laptop_battery'),
('question', 'How do I get new software installed?', 'en_software_request'),
('question', 'How do I set up a second screen?', 'en_dual_monitor'),
('question', 'How do I give a guest access to the wifi?', 'en_wifi_guest'),
('question', 'What is the IT checklist for a new employee?', 'en_new_starter'),
('question', 'How do I set up my email signature?', 'en_email_signature'),
-- ticket-like descriptions of a problem
('ticket', 'Máy in tầng 3 báo kẹt giấy liên tục, không in được tài liệu', 'vi_printer_jam'),
('ticket', 'Từ sáng nay tôi không kết nối được VPN, FortiClient báo lỗi -7200', 'vi_vpn_error'),
('ticket', 'Tài khoản của tôi bị khóa, không đăng nhập được máy tính', 'vi_account_locked'),
('ticket', 'Màn hình thứ hai báo No signal khi cắm vào dock', 'vi_monitor'),
('ticket', 'Outlook cứ hỏi mật khẩu liên tục trên máy tính', 'vi_email_outlook'),
('ticket', 'Không mở được ERP từ nhà, trang web không truy cập được', 'vi_erp_access'),
('ticket', 'Máy tính hiện quảng cáo lạ và các tệp bị đổi đuôi', 'vi_virus'),
('ticket', 'Điện thoại mới, không nhận được thông báo xác thực Authenticator', 'vi_2fa'),
('ticket', 'Không vào được ổ đĩa chung, báo You do not have permission', 'vi_shared_drive'),
('ticket', 'My laptop battery dies after an hour even though it is fully charged', 'en_laptop_battery'),
('ticket', 'Computer crashed with a blue screen twice this morning', 'en_blue_screen'),
('ticket', 'Colleagues can''t hear me in Teams calls, my headset microphone doesn''t work', 'en_teams_audio'),
('ticket', 'OneDrive shows a red cross and my files are not uploading', 'en_onedrive_sync'),
('ticket', 'I keep getting locked out of my account after changing my password', 'en_account_lockout'),
('ticket', 'Outlook says my mailbox is full and I cannot send emails', 'en_mailbox_full'),
('ticket', 'The ERP says access denied to module when I open purchasing', 'en_erp_login'),
('ticket', 'Wireless mouse stopped working, I changed the batteries already', 'en_keyboard_mouse'),
('ticket', 'I got an email asking me to confirm my password, looks suspicious', 'en_phishing_report'),
('ticket', 'The web app shows a blank page, it works in a private window', 'en_browser_cache'),
-- paraphrases and the other language
('question', 'How do I book a meeting room?', 'vi_meeting_room'),
('question', 'Can I read my work email on my phone?', 'vi_email_phone'),
('question', 'Làm sao để chia sẻ lịch Outlook cho đồng nghiệp?', 'en_outlook_calendar'),
('question', 'What do I do if my computer has a virus?', 'vi_virus'),
('ticket', 'Wifi keeps dropping in the meeting room on the 5th floor', 'vi_wifi'),
('ticket', 'Máy tính bị màn hình xanh rồi tự khởi động lại', 'en_blue_screen'),
('ticket', 'I can''t sign in to the ERP from home', 'en_erp_login'),
('ticket', 'My password expired and now FortiClient says -7200', 'vi_vpn_error'),
('folded', 'cach dat lai mat khau', 'vi_password_reset'),
('folded', 'huong dan hop truc tuyen bang teams', 'vi_teams'),
('title', 'Wi-Fi for guests', 'en_wifi_guest'),
('body', 'swollen battery', 'en_laptop_battery'),
('typo', 'how to report phising', 'en_phishing_report');

-- Loads the articles into the knowledge base (once); returns how many.
CREATE FUNCTION kb_eval.load() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    author int;
    n int;
BEGIN
    INSERT INTO helpdesk.users (username, email, password_hash, full_name, role)
    VALUES ('kb_author', 'kb_author@example.com', helpdesk.hash_password('kb-author'), 'KB Author', 'IT_Staff')
    ON CONFLICT DO NOTHING;
    SELECT id INTO author FROM helpdesk.users WHERE username = 'kb_author';
    INSERT INTO helpdesk.categories (name)
    SELECT DISTINCT a.category FROM kb_eval.articles a ON CONFLICT DO NOTHING;
    WITH loaded AS (
        INSERT INTO helpdesk.kb_articles (title, content, category_id, author_id, tags, is_published, published_at,
                                          view_count, helpful_votes, not_helpful_votes, created_at, updated_at)
        SELECT a.title, btrim(a.content, E'\n'), c.id, author, a.tags, true,
               timestamptz '2026-01-05 09:00:00+07' + (row_number() OVER (ORDER BY a.key)) * interval '1 day',
               a.views, a.helpful, a.not_helpful, timestamptz '2026-01-05 09:00:00+07', timestamptz '2026-01-05 09:00:00+07'
        FROM kb_eval.articles a JOIN helpdesk.categories c ON lower(c.name) = lower(a.category)
        ORDER BY a.key
        RETURNING id, title, content
    )
    UPDATE kb_eval.articles e SET article_id = l.id
    FROM loaded l WHERE l.title = e.title AND l.content = btrim(e.content, E'\n');
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- The rank (1-based) of each query's expected article in kb_search's first ten, NULL if absent.
CREATE FUNCTION kb_eval.ranks() RETURNS TABLE (id int, kind text, q text, expected text, rank int, top text)
LANGUAGE sql STABLE AS $$
    SELECT q.id, q.kind, q.q, q.expected,
           (SELECT r.n::int FROM (SELECT s.article_id, row_number() OVER () AS n
                                  FROM helpdesk.kb_search(q.q, 10) s) r
            JOIN kb_eval.articles ea ON ea.article_id = r.article_id
            WHERE ea.key = q.expected),
           (SELECT coalesce(ea.key, '(other) ' || ka.title) FROM helpdesk.kb_search(q.q, 1) s
            JOIN helpdesk.kb_articles ka ON ka.id = s.article_id
            LEFT JOIN kb_eval.articles ea ON ea.article_id = s.article_id)
    FROM kb_eval.queries q
$$;

-- hit@1, hit@3 (share of queries whose article is first / in the first three) and MRR@10 (mean
-- of 1/rank, 0 beyond ten), per kind and overall, in percent.
CREATE FUNCTION kb_eval.metrics() RETURNS TABLE (kind text, queries int, hit_at_1 numeric, hit_at_3 numeric, mrr_at_10 numeric)
LANGUAGE sql STABLE AS $$
    WITH r AS (SELECT * FROM kb_eval.ranks())
    SELECT coalesce(r.kind, 'overall'), count(*)::int,
           round(100.0 * count(*) FILTER (WHERE r.rank = 1) / count(*), 1),
           round(100.0 * count(*) FILTER (WHERE r.rank <= 3) / count(*), 1),
           round(100.0 * avg(coalesce(1.0 / r.rank, 0)), 1)
    FROM r
    GROUP BY ROLLUP (r.kind)
    ORDER BY r.kind IS NULL, array_position(ARRAY['title', 'body', 'typo', 'folded', 'question', 'ticket'], r.kind)
$$;
\set QUIET off
\set ECHO all

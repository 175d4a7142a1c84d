-- :articles more generated articles for the search benchmarks (bench/kb.sh), half
-- Vietnamese, half English, on the topics of an IT service desk.
--
-- Lengths follow a long tail like real help articles: titles of 4 to 11 words, bodies of ~60 to
-- ~1,500 words (median ~280), in sentences and Markdown paragraphs. Words are drawn from three
-- pools per language: the article's topic (about a quarter of its words, so a topic's words are
-- common within it and rare elsewhere), general desk vocabulary, and function words (about a
-- quarter, as in real text). The labelled set's 48 articles are loaded too (kb_eval.load), so
-- the benchmark's queries have real answers among the generated ones.
--
-- Loading goes around the index triggers (session_replication_role = replica) and rebuilds the
-- index once with helpdesk.kb_reindex(), as an import would.
--
--   psql -v articles=100000 -f bench/kb_generate.sql

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE TEMP TABLE topics (id int PRIMARY KEY, category text, en text[], vi text[]);
INSERT INTO topics VALUES
(1, 'Network', '{wifi,wireless,network,router,signal,access,point,ssid,guest,dhcp,cable,switch,lan,bandwidth,latency}',
    '{"mạng","wifi","không dây","sóng","bộ phát","kết nối","mạng dây","tín hiệu","điểm truy cập","băng thông","độ trễ","cáp mạng"}'),
(2, 'Network', '{vpn,tunnel,forticlient,gateway,remote,certificate,token,home,disconnect,split,client,profile}',
    '{"vpn","làm việc từ xa","cổng","chứng chỉ","mã xác thực","ngắt kết nối","kết nối","tại nhà","máy chủ","cấu hình"}'),
(3, 'Account', '{password,reset,expired,policy,portal,otp,code,lockout,unlock,account,credential,sign-in}',
    '{"mật khẩu","đặt lại","hết hạn","chính sách","mã otp","khóa","mở khóa","tài khoản","đăng nhập","xác thực"}'),
(4, 'Hardware', '{printer,toner,paper,jam,tray,scanner,driver,queue,copier,duplex,cartridge,roller}',
    '{"máy in","mực in","giấy","kẹt giấy","khay","máy quét","driver","hàng đợi","máy photocopy","con lăn","hộp mực"}'),
(5, 'Email', '{email,outlook,mailbox,calendar,signature,attachment,spam,phishing,archive,inbox,folder,rule}',
    '{"email","hộp thư","lịch","chữ ký","tệp đính kèm","thư rác","lừa đảo","lưu trữ","thư mục","quy tắc"}'),
(6, 'Software', '{erp,module,report,invoice,purchase,inventory,approval,license,install,update,excel,export}',
    '{"erp","phân hệ","báo cáo","hóa đơn","mua hàng","tồn kho","phê duyệt","bản quyền","cài đặt","cập nhật","xuất excel"}'),
(7, 'Hardware', '{laptop,battery,charger,screen,monitor,dock,keyboard,mouse,fan,overheating,ssd,memory}',
    '{"máy tính","pin","sạc","màn hình","bàn phím","chuột","quạt","nóng máy","ổ cứng","bộ nhớ","cổng usb"}'),
(8, 'Software', '{teams,meeting,audio,microphone,camera,headset,recording,share,chat,channel,call,webinar}',
    '{"teams","cuộc họp","âm thanh","micro","camera","tai nghe","ghi âm","chia sẻ","trò chuyện","kênh","cuộc gọi"}'),
(9, 'Software', '{onedrive,sync,backup,restore,share,folder,storage,version,recycle,upload,download,quota}',
    '{"onedrive","đồng bộ","sao lưu","khôi phục","chia sẻ","thư mục","dung lượng","phiên bản","thùng rác","tải lên"}'),
(10, 'Other', '{security,policy,data,privacy,usb,encryption,incident,badge,visitor,compliance,audit,training}',
    '{"bảo mật","chính sách","dữ liệu","quyền riêng tư","usb","mã hóa","sự cố","thẻ ra vào","khách","tuân thủ","đào tạo"}'),
(11, 'Other', '{onboarding,starter,equipment,handover,access,badge,manager,request,checklist,desk,phone,welcome}',
    '{"nhân viên mới","thiết bị","bàn giao","quyền truy cập","thẻ","quản lý","yêu cầu","danh sách","điện thoại"}'),
(12, 'Network', '{drive,share,fileserver,permission,mapping,folder,quota,path,group,access,denied,letter}',
    '{"ổ đĩa chung","máy chủ tệp","phân quyền","thư mục","nhóm","truy cập","bị từ chối","đường dẫn"}');

CREATE TEMP TABLE pools (lang text PRIMARY KEY, general text[], function text[]);
INSERT INTO pools VALUES
('en', '{open,click,select,settings,user,computer,system,error,message,check,restart,problem,issue,help,desk,ticket,team,office,company,file,window,page,button,menu,option,step,device,service,application,update,connect,install,information,support,request,manager,time,day,week,minute,hour,screen,login,access,change,new,old,first,next,again,right,left,top,bottom,internal,external,default,manual,automatic,problem,solution,guide,article,note,warning,tip,example,contact,phone,number,name,address,list,status,version,server,client,local,online,offline,slow,fast,working,broken}',
       '{the,a,an,to,of,and,in,is,for,on,it,with,that,this,be,your,you,from,or,if,are,as,at,by,not,can,will,then,when,after,before,into,out,up,so,all,any,more,only}'),
('vi', '{"mở","chọn","cài đặt","người dùng","hệ thống","lỗi","thông báo","kiểm tra","khởi động lại","vấn đề","hỗ trợ","phòng","ticket","công ty","văn phòng","tệp","cửa sổ","trang","nút","menu","tùy chọn","bước","thiết bị","dịch vụ","ứng dụng","cập nhật","thông tin","yêu cầu","quản lý","thời gian","ngày","tuần","phút","giờ","đăng nhập","truy cập","thay đổi","mới","cũ","đầu tiên","tiếp theo","lại","nội bộ","bên ngoài","mặc định","hướng dẫn","bài viết","lưu ý","cảnh báo","ví dụ","liên hệ","số điện thoại","tên","danh sách","trạng thái","phiên bản","máy chủ","chậm","nhanh","hoạt động","bị hỏng","nhân viên","bộ phận","IT"}',
       '{"của","và","là","các","những","cho","với","để","được","bị","có","không","trong","khi","thì","này","đó","một","đã","sẽ","đang","từ","trên","vào","ra","nếu","hoặc","cũng","rồi","bạn","hãy"}');

-- The articles: per article, a language, a topic and a length; per word, its pool. Numbering
-- goes on from the articles already there, so a second run adds different ones.
SELECT coalesce(max(id), 0) AS offset FROM helpdesk.kb_articles \gset
CREATE TEMP TABLE gen AS
SELECT i,
       CASE WHEN i % 2 = 0 THEN 'vi' ELSE 'en' END AS lang,
       1 + (abs(hashint4(i * 7)) % 12) AS topic,
       4 + (abs(hashint4(i * 13)) % 8) AS title_words,
       -- long tail: exp of a sum of three uniforms ~ lognormal, clamped
       least(1500, greatest(60, (60 * exp(1.55 * ((abs(hashint4(i * 17)) % 1000) + (abs(hashint4(i * 19)) % 1000)
                                                + (abs(hashint4(i * 23)) % 1000)) / 3000.0 * 2.2))::int)) AS body_words
FROM generate_series(:offset + 1, :offset + :articles) AS i;

CREATE TEMP TABLE gen_text AS
SELECT g.i, g.lang, t.category,
       initcap(left(string_agg(w.word, ' ' ORDER BY w.n) FILTER (WHERE w.n <= g.title_words), 190)) AS title,
       string_agg(w.word || CASE WHEN w.n % 97 = 0 THEN E'\n\n## ' || initcap(w.word) || E'\n'
                                 WHEN w.n % 13 = 0 THEN '.' ELSE '' END, ' ' ORDER BY w.n)
           FILTER (WHERE w.n > g.title_words) || '.' AS body,
       ARRAY[t.en[1 + abs(hashint4(g.i)) % cardinality(t.en)], t.vi[1 + abs(hashint4(g.i + 1)) % cardinality(t.vi)]] AS tags
FROM gen g
JOIN topics t ON t.id = g.topic
JOIN pools p ON p.lang = g.lang
CROSS JOIN LATERAL (
    SELECT n, CASE WHEN r < 0.25 OR n <= g.title_words AND r < 0.6
                   THEN (CASE g.lang WHEN 'en' THEN t.en ELSE t.vi END)[1 + floor(random() * cardinality(CASE g.lang WHEN 'en' THEN t.en ELSE t.vi END))::int]
                   WHEN r < 0.75 THEN p.general[1 + floor(random() * cardinality(p.general))::int]
                   ELSE p.function[1 + floor(random() * cardinality(p.function))::int] END AS word
    FROM (SELECT n, random() AS r FROM generate_series(1, g.title_words + g.body_words) AS n) x
) w
GROUP BY g.i, g.lang, t.category, t.en, t.vi;

SET session_replication_role = replica;
INSERT INTO helpdesk.kb_articles (title, content, category_id, author_id, tags, is_published, published_at,
                                  view_count, helpful_votes, not_helpful_votes, created_at, updated_at)
SELECT gt.title, gt.body, c.id, (SELECT min(id) FROM helpdesk.users WHERE role = 'Admin'), gt.tags,
       gt.i % 50 <> 0, CASE WHEN gt.i % 50 <> 0 THEN timestamptz '2024-01-01' + gt.i * interval '10 minutes' END,
       abs(hashint4(gt.i)) % 2000, abs(hashint4(gt.i * 3)) % 200, abs(hashint4(gt.i * 5)) % 20,
       timestamptz '2024-01-01' + gt.i * interval '10 minutes', timestamptz '2024-01-01' + gt.i * interval '10 minutes'
FROM gen_text gt JOIN helpdesk.categories c ON c.name = gt.category;
SET session_replication_role = origin;

SELECT to_regnamespace('kb_eval') IS NULL AS first_run \gset
\if :first_run
\ir ../tests/regress/sql/70_kb_corpus.sql
SELECT kb_eval.load() AS labelled_articles;
\endif
SELECT helpdesk.kb_reindex() AS articles_indexed;
VACUUM ANALYZE helpdesk.kb_articles;
VACUUM ANALYZE helpdesk.kb_postings;
VACUUM ANALYZE helpdesk.kb_vocab;
SELECT count(*) AS articles, round(avg(length(content))) AS avg_body_chars,
       (SELECT count(*) FROM helpdesk.kb_postings) AS postings, (SELECT count(*) FROM helpdesk.kb_vocab) AS vocabulary,
       pg_size_pretty(pg_total_relation_size('helpdesk.kb_postings')) AS postings_size
FROM helpdesk.kb_articles;

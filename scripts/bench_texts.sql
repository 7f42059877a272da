-- The benchmark's document texts: `bench.text(g)` gives clone g a title and a text of a
-- county's 管理办法, built from clause templates modelled on real normative documents (purpose and
-- basis, scope, responsibilities, principles, a work plan, an application with its materials and
-- time limit, funding, credit records, inspections, complaints, liabilities, commencement) with
-- the subject, its upper-level law, the department in charge, the town and the figures varying
-- from clone to clone. About 1,500 characters in 14 articles and 3 items, already in the
-- normalised form the server records (NFC, "\n" line ends, no trailing blanks), so its hash is
-- the SHA-256 of its bytes. `scripts/bench` creates the schema before seeding and drops it after.
CREATE SCHEMA bench;

-- Subject, the law it rests on, the department in charge: one row per subject.
CREATE TABLE bench.subjects (n int PRIMARY KEY, subject text, law text, department text);
INSERT INTO bench.subjects VALUES
    (0, '农村宅基地管理', '《中华人民共和国土地管理法》', '县自然资源局'),
    (1, '城镇燃气安全管理', '《城镇燃气管理条例》', '县住房和城乡建设局'),
    (2, '户外广告设施管理', '《中华人民共和国广告法》', '县城市管理局'),
    (3, '建筑工地扬尘污染防治', '《中华人民共和国大气污染防治法》', '县生态环境局'),
    (4, '城乡居民最低生活保障', '《社会救助暂行办法》', '县民政局'),
    (5, '普惠性民办幼儿园扶持', '《中华人民共和国教育法》', '县教育体育局'),
    (6, '食品小作坊监督管理', '《中华人民共和国食品安全法》', '县市场监督管理局'),
    (7, '农药经营许可', '《农药管理条例》', '县农业农村局'),
    (8, '政府投资项目管理', '《政府投资条例》', '县发展和改革委员会'),
    (9, '国有土地上房屋征收补偿', '《国有土地上房屋征收与补偿条例》', '县房屋征收办公室'),
    (10, '生活垃圾分类', '《中华人民共和国固体废物污染环境防治法》', '县城市管理局'),
    (11, '残疾人就业保障金征收', '《残疾人就业条例》', '县残疾人联合会'),
    (12, '河道采砂管理', '《中华人民共和国水法》', '县水利局'),
    (13, '殡葬管理', '《殡葬管理条例》', '县民政局'),
    (14, '电动自行车通行管理', '《中华人民共和国道路交通安全法》', '县公安局'),
    (15, '优化营商环境', '《优化营商环境条例》', '县发展和改革委员会'),
    (16, '公共租赁住房管理', '《公共租赁住房管理办法》', '县住房和城乡建设局'),
    (17, '森林防火', '《森林防火条例》', '县林业局'),
    (18, '居家养老服务补贴', '《中华人民共和国老年人权益保障法》', '县民政局'),
    (19, '招商引资项目奖励', '《中华人民共和国预算法》', '县商务局'),
    (20, '农村饮用水工程管护', '《中华人民共和国水法》', '县水利局'),
    (21, '高标准农田建设', '《中华人民共和国农业法》', '县农业农村局'),
    (22, '校外培训机构管理', '《中华人民共和国民办教育促进法》', '县教育体育局'),
    (23, '城市道路挖掘管理', '《城市道路管理条例》', '县城市管理局'),
    (24, '人才引进住房补贴', '《中华人民共和国预算法》', '县人力资源和社会保障局');

CREATE TABLE bench.towns (n int PRIMARY KEY, town text);
INSERT INTO bench.towns VALUES
    (0, '莲塘镇'), (1, '向塘镇'), (2, '三江镇'), (3, '塘南镇'), (4, '幽兰镇'), (5, '蒋巷镇'),
    (6, '武阳镇'), (7, '冈上镇'), (8, '广福镇'), (9, '泾口乡'), (10, '南新乡'), (11, '东新乡'),
    (12, '富山乡'), (13, '黄马乡'), (14, '八一乡'), (15, '塔城乡'), (16, '银三角管理委员会'),
    (17, '小蓝经济技术开发区');

CREATE FUNCTION bench.text(g bigint) RETURNS TABLE (title text, body text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('南昌县%s办法', s.subject),
           concat_ws(E'\n',
             format('南昌县%s办法', s.subject),
             format('第一条　为了加强本县%s工作，规范相关行为，保障公民、法人和其他组织的合法权益，根据%s等法律、法规规定，结合本县实际，制定本办法。', s.subject, s.law),
             format('第二条　本县行政区域内%s及其监督管理活动，适用本办法。法律、法规另有规定的，从其规定。', s.subject),
             format('第三条　%s是本县%s工作的主管部门，负责组织实施本办法。发展改革、财政、自然资源、生态环境、市场监管等部门按照各自职责做好相关工作。%s负责本辖区内的具体工作，村（居）民委员会予以协助。', s.department, s.subject, t.town),
             format('第四条　%s工作应当遵循依法、公开、公平、公正的原则，坚持统筹规划、分类指导、属地管理、便民高效。', s.subject),
             format('第五条　%s应当会同有关部门编制%s工作方案，报县人民政府批准后组织实施，并向社会公布。工作方案应当明确工作目标、任务分工、保障措施和完成时限，每%s年评估一次。', s.department, s.subject, 2 + g % 4),
             '第六条　申请办理本办法规定事项的，申请人应当提交下列材料：',
             '（一）申请书；',
             '（二）申请人的身份证明；',
             format('（三）%s依法公布的其他材料。', s.department),
             format('%s应当自受理申请之日起%s个工作日内作出决定；不予批准的，应当书面告知申请人并说明理由。申请人不得被要求提交法律、法规未规定的证明材料。', s.department, 5 + g % 16),
             format('第七条　县财政每年安排%s专项资金%s万元，纳入年度预算。专项资金实行专账管理、专款专用，任何单位和个人不得截留、挤占、挪用。资金使用情况每年向社会公开。', s.subject, 50 + (g * 37) % 950),
             format('第八条　%s应当建立%s信用记录，依法将违法行为信息归集至县公共信用信息平台，并按照国家和省有关规定实施守信激励和失信惩戒。', s.department, s.subject),
             format('第九条　%s应当加强对%s的监督检查，每年开展不少于%s次专项检查，发现问题的，责令限期整改；逾期不整改的，依法予以处理。监督检查不得妨碍被检查单位正常的生产经营活动。', s.department, s.subject, 1 + g % 6),
             format('第十条　任何单位和个人有权对违反本办法的行为进行投诉、举报。%s应当公布投诉、举报电话，自收到投诉、举报之日起%s日内核实处理，并将处理结果告知投诉人、举报人。', s.department, 7 + g % 24),
             format('第十一条　%s应当加强对%s工作人员的业务培训，提高依法行政水平。', t.town, s.subject),
             format('第十二条　违反本办法规定的，由%s依照%s的规定予以处理；构成犯罪的，依法追究刑事责任。', s.department, s.law),
             format('第十三条　行政机关及其工作人员在%s工作中滥用职权、玩忽职守、徇私舞弊的，依法给予处分。', s.subject),
             format('第十四条　本办法自%s年%s月%s日起施行，有效期%s年。', 2015 + g % 10, 1 + g % 12, 1 + g % 28, 2 + g % 4))
    FROM bench.subjects s, bench.towns t
    WHERE s.n = g % 25 AND t.n = (g / 25) % 18
$$;

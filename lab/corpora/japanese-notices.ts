// Japanese account notices for the training ham (issue 18, spam19): what a card company, bank, employer, portal, shop
// or carrier sends its own customers and staff, asking for nothing — a statement posted on the member site ("ログインして
// ご確認ください"), a payslip or withholding slip on the HR system, portal and net-banking maintenance, a password or
// e-mail address changed ("お心当たりがない場合は…までご連絡ください"), order and shipping notices, transfer and
// direct-debit receipts. The Japanese training spam is full of phishing that borrows these words, and until spam19 the
// training ham had none of them, so Bayes read カード, 明細, ログイン as spam. Written here from general knowledge of
// such mail, in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8; the hand-written judged set (japanese-written.ts) was not
// read to write it. Assembled from phrase banks by a seeded generator, several layouts per kind; ids `jt-<kind>-<n>`,
// so the fit's out-of-fold view (protocol.ts templateKey) holds a kind out whole.
import type { LabelledMessage } from './features.js';
import { JP_CHARSETS } from './japanese.js';
import { buildMail, type MailSpec } from './mailbuild.js';
import { seeded } from './seeded.js';

type Pick = <T>(xs: readonly T[]) => T;
/** The ids this file gives (`jt-<kind>-<n>`), for the fit's trial switches (protocol.ts, FIT_JA_NOTICES). */
export const NOTICE_ID = /^jt-(stmt|pay|maint|chg|ship|xfer)-\d+$/;
interface Org { name: string; from: string; site: string; service: string; desk: string }

const CARDS: Org[] = [
  { name: 'JCBカード', from: 'mail@qa.jcb.co.jp', site: 'https://my.jcb.co.jp/', service: 'MyJCB', desk: 'JCBインフォメーションセンター 0570-015-004' },
  { name: '三井住友カード', from: 'statement@vpass.smbc-card.com', site: 'https://www.smbc-card.com/mem/', service: 'Vpass', desk: '三井住友カード 会員デスク' },
  { name: '楽天カード', from: 'info@mail.rakuten-card.co.jp', site: 'https://www.rakuten-card.co.jp/e-navi/', service: '楽天e-NAVI', desk: '楽天カード コンタクトセンター' },
  { name: 'あおぞらカード', from: 'notice@aozora-card.example', site: 'https://member.aozora-card.example/', service: 'あおぞらネット会員', desk: 'あおぞらカード デスク 0120-000-111' },
  { name: '東京ガス', from: 'myaccount@tokyo-gas.example.jp', site: 'https://members.tokyo-gas.example.jp/', service: 'myTOKYOGAS', desk: '東京ガスお客さまセンター' },
  { name: 'ドコモ', from: 'billing@docomo.ne.jp', site: 'https://www.docomo.ne.jp/mydocomo/', service: 'My docomo', desk: 'ドコモ インフォメーションセンター' },
];
const BANKS: Org[] = [
  { name: '三菱UFJ銀行', from: 'info@direct.bk.mufg.jp', site: 'https://direct.bk.mufg.jp/', service: '三菱UFJダイレクト', desk: '三菱UFJダイレクト ヘルプデスク' },
  { name: 'ゆうちょ銀行', from: 'direct@jp-bank.japanpost.jp', site: 'https://www.jp-bank.japanpost.jp/', service: 'ゆうちょダイレクト', desk: 'ゆうちょダイレクトサポートデスク' },
  { name: 'つばめ信用金庫', from: 'ib@tsubame-shinkin.example', site: 'https://ib.tsubame-shinkin.example/', service: 'つばめインターネットバンキング', desk: 'つばめ信用金庫 事務センター 0120-222-333' },
  { name: 'みなと銀行', from: 'notice@minato-bank.example.jp', site: 'https://www.minato-bank.example.jp/', service: 'みなとダイレクト', desk: 'みなと銀行 ダイレクトバンキングセンター' },
];
const EMPLOYERS = [
  { name: 'かえでソフト株式会社 人事部', from: 'jinji@kaede-soft.example.jp', system: '給与明細Webサービス', url: 'https://payroll.kaede-soft.example.jp/' },
  { name: '椿産業株式会社 総務課', from: 'soumu@tsubaki-sangyo.example.co.jp', system: '勤怠・給与システム', url: 'https://hr.tsubaki-sangyo.example.co.jp/' },
  { name: 'みどり電機 給与担当', from: 'kyuyo@midori-denki.example.jp', system: 'Web明細', url: 'https://meisai.midori-denki.example.jp/' },
];
const PORTALS = [
  { name: 'かえでソフト 情報システム部', from: 'helpdesk@kaede-soft.example.jp', what: '社内ポータル' },
  { name: 'さくら大学 情報基盤センター', from: 'info-center@sakura-u.example.ac.jp', what: '学務システム' },
  { name: 'ひかり電機ストア', from: 'support@hikari-denki.example', what: '会員サイト' },
  ...BANKS.map((b) => ({ name: b.name, from: b.from, what: b.service })),
];
const SHOPS = [
  { name: 'さくら書房オンライン', from: 'order@sakura-shobo.example', carrier: 'ヤマト運輸' },
  { name: '北国フーズ通販', from: 'shop@kitaguni-foods.example', carrier: '佐川急便' },
  { name: 'Amazon.co.jp', from: 'shipment-tracking@amazon.co.jp', carrier: '日本郵便' },
  { name: '楽天市場 みどり生活雑貨', from: 'midori-zakka@shop.rakuten.co.jp', carrier: 'ヤマト運輸' },
];
const NAMES = ['山田 太郎', '佐藤 花子', '鈴木 一郎', '高橋 美咲', '田中 健太', '伊藤 直子', '渡辺 誠', '中村 由美', '小林 大輔', '加藤 恵'];
const MONTHS = ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'];
const ITEMS = ['文庫本 3冊', '電気ケトル', '北海道産じゃがいも 5kg', 'ハンドタオル 3枚組', 'ワイヤレスマウス', '手帳 2026年版', 'コーヒー豆 500g', '加湿器', '子ども用長靴'];
const SENDONLY = ['※このメールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできませんのでご了承ください。', '※本メールは配信専用です。', '※このメールにお心当たりのない方は、お手数ですが削除してください。', ''];
const NO_ASK = ['当社からメールでパスワードや暗証番号をお尋ねすることはありません。', 'メールでカード番号や暗証番号の入力をお願いすることは一切ございません。', ''];

const yen = (p: Pick) => `${p([3, 12, 27, 48, 85, 126])},${p(['480', '050', '912', '300', '775'])}円`;
const dateOf = (p: Pick) => `${p(['2025年', ''])}${p(MONTHS)}${p([5, 10, 15, 26, 27])}日`;
const ref = (p: Pick, n: number) => `${p(['', 'No.', '受付番号：', 'お問合せ番号 '])}${String(100000 + n * 7919).slice(-6)}${p(['', '-01', '-A'])}`;

function statement(i: number, p: Pick): MailSpec {
  const o = p(CARDS);
  const who = p(NAMES);
  const m = p(MONTHS);
  const lines = [
    p([`${who} 様`, `${o.name}会員 ${who} 様`, 'いつも' + o.name + 'をご利用いただき、ありがとうございます。']),
    '',
    p([`${m}のご利用代金明細を${o.service}に掲載しました。`, `${m}お支払い分のご請求額が確定しましたのでお知らせします。`, `${o.service}にWeb明細を掲載いたしました。`, `今月のご利用明細のご用意ができました。`]),
    p([`${o.service}にログインしてご確認ください。`, `明細は${o.service}のトップページからご覧いただけます。`, `詳しくは${o.service}でご確認いただけます。`, `ログインの上、内容をご確認ください。`]),
    '',
    p(['■ご請求金額', '【お支払い金額】', 'お支払い金額：']) + ' ' + yen(p),
    p(['■お支払い日', '【お引き落とし日】', 'お支払い日：']) + ' ' + dateOf(p),
    p([`${o.site}`, '', `▼${o.service}\n${o.site}`]),
    '',
    p(NO_ASK),
    p(SENDONLY),
    '',
    p(['', '――――――――――――――――', '━━━━━━━━━━━━━━━━']),
    o.name,
    p([o.desk, `${o.desk}（平日9:00から17:00）`]),
  ];
  return mk(`jt-stmt-${i}`, o.from, o.name, p([`【${o.name}】${m}のご利用代金明細のお知らせ`, `${o.service}：ご請求額確定のお知らせ`, `【${o.name}】Web明細掲載のご案内`, `${m}分 ご利用明細のご案内（${o.name}）`]), lines, i, p);
}

function payslip(i: number, p: Pick): MailSpec {
  const e = p(EMPLOYERS);
  const who = p(NAMES);
  const m = p(MONTHS);
  const doc = p([`${m}分の給与明細`, '賞与明細', '源泉徴収票', `${m}分の給与明細書`]);
  const lines = [
    p([`${who}さん`, '社員各位', `${who} 様`, '従業員の皆さま']),
    '',
    p([`${e.name}です。`, 'お疲れさまです。', '']),
    `${doc}を${e.system}に掲載しました。`,
    p([`社内ネットワークから${e.system}にログインしてご確認ください。`, `下記URLからログインの上、ご確認ください。\n${e.url}`, `${e.system}（${e.url}）でご確認いただけます。`]),
    p(['支給日は今月25日です。', `振込日：${dateOf(p)}`, '内容に誤りがある場合は、月末までに人事部までご連絡ください。', '']),
    p(['ログインIDは社員番号、パスワードは初回設定時のものです。パスワードを忘れた場合は情報システム部へお問い合わせください。', '印刷が必要な方はPDFでダウンロードできます。', '']),
    '',
    p(['以上、よろしくお願いいたします。', 'よろしくお願いします。']),
    e.name,
  ];
  return mk(`jt-pay-${i}`, e.from, e.name, p([`【給与明細】${doc}掲載のお知らせ`, `${doc}のお知らせ`, `[人事] ${doc}をWeb明細に掲載しました`, `${doc}の発行について`]), lines, i, p);
}

function maintenance(i: number, p: Pick): MailSpec {
  const o = p(PORTALS);
  const d = dateOf(p);
  const lines = [
    p(['お客様各位', '各位', `${o.what}をご利用の皆さまへ`, `平素より${o.name}をご利用いただき、誠にありがとうございます。`]),
    '',
    p([`システムメンテナンスのため、下記の日程で${o.what}を一時停止いたします。`, `${o.what}の定期メンテナンスを実施いたします。`, `サーバー機器の更新作業に伴い、${o.what}がご利用いただけない時間帯がございます。`]),
    '',
    `${p(['■停止日時', '【日時】', '日時：'])} ${d} ${p(['午前1時から午前6時まで', '22時から翌朝5時まで', '0:00から4:00（予定）'])}`,
    `${p(['■対象', '【対象サービス】', '対象：'])} ${o.what}${p(['（ログイン、各種照会、お手続き）', '全機能', 'のお取引・照会'])}`,
    '',
    p(['作業中はログインできません。', 'メンテナンス中はすべてのお手続きがご利用いただけません。', '作業の進み具合により、終了時刻が前後する場合がございます。']),
    p(['ご不便をおかけしますが、ご理解とご協力をお願い申し上げます。', 'ご迷惑をおかけいたしますが、何卒ご了承ください。']),
    p(NO_ASK),
    '',
    o.name,
  ];
  return mk(`jt-maint-${i}`, o.from, o.name, p([`【重要】${o.what}メンテナンスのお知らせ`, `${o.what}停止のお知らせ（${d}）`, `[お知らせ] システムメンテナンスに伴うサービス停止について`, `${o.what} 定期メンテナンスのご案内`]), lines, i, p);
}

function changed(i: number, p: Pick): MailSpec {
  const o = p([...CARDS, ...BANKS]);
  const what = p(['パスワード', 'ログインパスワード', 'ご登録のメールアドレス', 'ご登録の電話番号', '暗証番号', 'お届けの住所']);
  const lines = [
    p([`${p(NAMES)} 様`, `${o.service}をご利用のお客様`, `いつも${o.name}をご利用いただきありがとうございます。`]),
    '',
    `${o.service}で${what}の変更手続きが${p(['完了しました。', '行われました。', '完了いたしましたのでお知らせします。'])}`,
    `${p(['変更日時', '受付日時', '手続き日時'])}：${dateOf(p)} ${p(['10:42', '21:15', '8:03', '13:30'])}`,
    '',
    p([
      `お客様ご本人による変更であれば、このメールへの対応は不要です。`,
      `このお手続きにお心当たりがない場合は、お手数ですが${o.desk}までご連絡ください。`,
      `お心当たりのない場合は、至急${o.desk}へお電話ください。`,
    ]),
    p([`お心当たりがない場合は、${o.desk}までご連絡ください。`, `ご本人以外による操作の可能性がある場合は、${o.desk}へご連絡をお願いします。`, '']),
    p(NO_ASK),
    p(SENDONLY),
    '',
    o.name,
  ];
  return mk(`jt-chg-${i}`, o.from, o.name, p([`【${o.name}】${what}変更完了のお知らせ`, `${what}が変更されました`, `${o.service}：${what}変更のお知らせ`, `【${o.service}】お手続き完了のご連絡`]), lines, i, p);
}

function shipping(i: number, p: Pick): MailSpec {
  const s = p(SHOPS);
  const who = p(NAMES);
  const no = ref(p, i);
  const shipped = p([true, false]);
  const lines = [
    `${who} 様`,
    '',
    p([`このたびは${s.name}をご利用いただき、誠にありがとうございます。`, `${s.name}です。`]),
    shipped ? p(['ご注文の商品を本日発送いたしました。', 'ご注文いただいた商品の出荷が完了しました。']) : p(['以下の内容でご注文を承りました。', 'ご注文ありがとうございます。ご注文内容をお知らせします。']),
    '',
    `ご注文番号：${no}`,
    `商品：${p(ITEMS)}${p(['', ` ほか${p([1, 2])}点`])}`,
    `${p(['合計', 'ご請求額', 'お支払い金額'])}：${yen(p)}（税込）`,
    shipped ? `配送業者：${s.carrier}\nお問い合わせ伝票番号：${p(['4512', '3309', '7781'])}-${p(['0021', '8834', '1200'])}-${p(['5566', '0937', '4410'])}` : `お支払い方法：${p(['クレジットカード', '代金引換', 'コンビニ払い', '銀行振込'])}`,
    shipped ? `お届け予定：${dateOf(p)}${p(['', ' 午前中', ' 14時から16時'])}` : p(['発送準備ができ次第、改めてご連絡いたします。', 'ご注文の履歴はマイページからご確認いただけます。']),
    '',
    p(['ご不明な点は、ご注文番号を添えてお問い合わせください。', '商品の到着まで今しばらくお待ちください。', '']),
    p(SENDONLY),
    s.name,
  ];
  return mk(`jt-ship-${i}`, s.from, s.name, shipped ? p([`【${s.name}】商品発送のお知らせ`, `ご注文の商品を発送しました（${no}）`, '発送完了のご連絡']) : p([`【${s.name}】ご注文の確認`, `ご注文ありがとうございます（注文番号 ${no}）`, 'ご注文内容確認（自動配信メール）']), lines, i, p);
}

function transfer(i: number, p: Pick): MailSpec {
  const o = p(BANKS);
  const kind = p(['振込', '口座振替', '入金', '定期預金']);
  const lines = [
    p([`${p(NAMES)} 様`, `${o.service}をご利用いただき、ありがとうございます。`]),
    '',
    kind === '振込' ? p(['お振込みのお手続きを受け付けました。', 'ご依頼のお振込みが完了しました。']) : kind === '口座振替' ? `${p(['電気料金', '携帯電話料金', 'クレジットカード代金', '学費'])}の口座振替が完了しました。` : kind === '入金' ? 'お客様の口座へご入金がありました。' : '定期預金のお預け入れを受け付けました。',
    '',
    `${p(['受付番号', 'お取引番号'])}：${ref(p, i)}`,
    `${p(['取引日', 'お取引日', '振込指定日'])}：${dateOf(p)}`,
    `${p(['金額', 'お取引金額', '振込金額'])}：${yen(p)}`,
    kind === '振込' ? `振込先：${p(['みなと銀行 本店', 'つばめ信用金庫 駅前支店', 'ゆうちょ銀行 〇一八店'])} 普通 ***${p(['4321', '0987', '5510'])} ${p(['カ）サクラショウジ', 'ヤマダ タロウ', 'ミドリデンキ（カ'])}` : '',
    '',
    p([`お取引の詳細は${o.service}の入出金明細でご確認いただけます。`, `明細は${o.service}にログインしてご確認ください。`, '']),
    p([`このお取引にお心当たりがない場合は、${o.desk}までご連絡ください。`, '']),
    p(NO_ASK),
    '',
    o.name,
  ];
  return mk(`jt-xfer-${i}`, o.from, o.name, p([`【${o.name}】${kind}受付のお知らせ`, `${kind}完了のお知らせ`, `[${o.service}] お取引のご連絡`, `${o.name}：${kind}のご案内`]), lines, i, p);
}

/** Text, HTML or both; HTML as a plain notice table (these senders' own links, no tracking). */
function mk(id: string, from: string, fromName: string, subject: string, raw: string[], i: number, p: Pick): MailSpec {
  const lines = raw.filter((l, k, a) => l !== '' || (k > 0 && a[k - 1] !== ''));
  const text = lines.join('\n') + '\n';
  const form = p(['text', 'text', 'both', 'html'] as const);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/https?:\/\/[^\s（）]+/g, (u) => `<a href="${u}">${u}</a>`);
  const html = `<html><body><table width="600" cellpadding="8"><tr><td style="font-size:14px">${lines.map((l) => (l ? esc(l).replace(/\n/g, '<br>') : '<br>')).join('<br>\n')}</td></tr></table></body></html>`;
  return {
    id,
    from,
    fromName,
    subject,
    text: form === 'html' ? undefined : text,
    html: form === 'text' ? undefined : html,
    charset: JP_CHARSETS[(i + (id.length % 4)) % JP_CHARSETS.length],
    transfer: p(['8bit', 'base64', 'quoted-printable', '8bit'] as const),
    date: `${p(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, ${p([2, 9, 16, 23])} Jun 2025 ${p(['06', '09', '12', '18'])}:${p(['00', '15', '41'])}:00 +0900`,
  };
}

/** 20 of each kind: statement, payslip, maintenance, changed settings, order and shipping, transfer receipts (120 ham). */
export function japaneseNotices(seed = 19): LabelledMessage[] {
  const r = seeded(seed);
  const p: Pick = (xs) => xs[Math.floor(r() * xs.length)];
  const out: LabelledMessage[] = [];
  for (const make of [statement, payslip, maintenance, changed, shipping, transfer]) {
    for (let i = 0; i < 20; i++) {
      const m = make(i, p);
      out.push({ id: m.id, group: 'japanese-train', label: 'ham', raw: buildMail(m) });
    }
  }
  return out;
}

// Japanese legitimate bulk mail for the validation (issue 18, spam8): メールマガジン, opted-in sale mail, order
// confirmations, shipping notices, card statements (no credentials asked), seminar and release announcements, in
// ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8, HTML-only, text-only or both, with 配信停止 footers and tracking pixels.
// Written from general knowledge of such mail; the judged half was NOT read to write it. Never learnt or fitted on.
import type { LabelledMessage } from './features.js';
import { JP_CHARSETS } from './japanese.js';
import { buildMail } from './mailbuild.js';
import { seeded } from './seeded.js';

type Kind = 'magazine' | 'sale' | 'order' | 'shipping' | 'statement' | 'seminar' | 'release';
interface Sender { name: string; domain: string; kinds: Kind[] }

const SENDERS: Sender[] = [
  { name: 'さくら書房オンライン', domain: 'sakura-shobo.example', kinds: ['magazine', 'sale', 'order', 'shipping'] },
  { name: 'みどり生活雑貨', domain: 'midori-zakka.example', kinds: ['sale', 'order', 'shipping', 'magazine'] },
  { name: 'ひかり電機ストア', domain: 'hikari-denki.example', kinds: ['sale', 'order', 'shipping'] },
  { name: '北国フーズ通販', domain: 'kitaguni-foods.example', kinds: ['sale', 'magazine', 'order'] },
  { name: 'あおぞらカード', domain: 'aozora-card.example', kinds: ['statement', 'magazine'] },
  { name: 'つばめ信用金庫', domain: 'tsubame-shinkin.example', kinds: ['statement', 'seminar'] },
  { name: '株式会社ソフトワークス', domain: 'softworks.example', kinds: ['release', 'seminar', 'magazine'] },
  { name: 'クラウドベース', domain: 'cloudbase.example', kinds: ['release', 'statement'] },
  { name: '旅どきトラベル', domain: 'tabidoki.example', kinds: ['sale', 'magazine', 'order'] },
  { name: '港町市民ホール', domain: 'minato-hall.example', kinds: ['seminar', 'magazine'] },
  { name: 'はやて運輸', domain: 'hayate-unyu.example', kinds: ['shipping'] },
];
const ITEMS = ['文庫本セット', '電気ケトル', 'ステンレス水筒', '北海道産じゃがいも 5kg', 'ハンドタオル 3枚組', 'USBメモリ 32GB', 'ワイヤレスマウス', '手帳 2026年版', '緑茶ティーバッグ', 'ボールペン 10本入り', '加湿器', 'コーヒー豆 500g'];
const NAMES = ['山田', '佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '中村'];

export function legitBulkJa(opts: { count?: number; seed?: number } = {}): LabelledMessage[] {
  const seed = opts.seed ?? 5006;
  const r = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const some = <T>(xs: readonly T[], n: number): T[] => [...xs].sort(() => r() - 0.5).slice(0, n);
  const out: LabelledMessage[] = [];
  for (let i = 0; i < (opts.count ?? 100); i++) {
    const s = pick(SENDERS);
    const kind = pick(s.kinds);
    const id = `legit-bulk-ja-${seed.toString(36)}-${i}`;
    const name = pick(NAMES);
    const cs = JP_CHARSETS[i % JP_CHARSETS.length];
    const uid = Math.floor(r() * 36 ** 8).toString(36);
    const url = (p: string) => (r() < 0.5 ? `https://www.${s.domain}/${p}?utm_source=mail&utm_medium=mm&mid=${uid}` : `https://click.${s.domain}/c/${uid}/${p}`);
    const order = `${Math.floor(1e7 + r() * 9e7)}`;
    const month = 1 + Math.floor(r() * 12);
    const day = 1 + Math.floor(r() * 28);
    const date = `${month}月${day}日`;
    const items = some(ITEMS, 1 + Math.floor(r() * 3)).map((x) => [x, `${(300 + Math.floor(r() * 60) * 100).toLocaleString('en')}円`]);
    let subject: string;
    let lines: string[];
    let transactional = false;
    switch (kind) {
      case 'sale':
        subject = pick([`【${s.name}】週末限定セール開催中！最大${pick([20, 30, 40, 50])}%OFF`, `【会員様限定】ポイント${pick([2, 5, 10])}倍キャンペーンのお知らせ`, `${name}様へ　新商品のご案内`, `【送料無料】${date}までの期間限定です`, `冬のおすすめ特集｜${s.name}`]);
        lines = some([`いつも${s.name}をご利用いただき、ありがとうございます。`, `${date}まで、対象商品が最大${pick([20, 30, 40])}%OFFになるセールを開催中です。`, '税込5,000円以上のご注文で送料無料となります。', '会員様はポイントが通常の5倍たまります。', '人気商品は売り切れる場合がございます。お早めにどうぞ。', '店舗でも同じ価格でお求めいただけます。', '新生活におすすめの商品を集めました。'], 4);
        break;
      case 'order':
        transactional = true;
        subject = pick([`【${s.name}】ご注文ありがとうございます（注文番号：${order}）`, `ご注文内容の確認`, `【自動送信】ご注文を承りました`]);
        lines = [`${name}様`, `このたびは${s.name}をご利用いただき、誠にありがとうございます。`, '以下の内容でご注文を承りました。', `ご注文番号：${order}`, `ご注文日：${date}`, ...items.map(([a, b]) => `・${a}　${b}`), '商品の発送準備が整い次第、発送のご案内をお送りいたします。', 'ご注文履歴はマイページからご確認いただけます。'];
        break;
      case 'shipping':
        transactional = true;
        subject = pick([`【${s.name}】商品発送のお知らせ`, `お荷物のお届け予定日のお知らせ`, `ご注文商品を発送いたしました（${order}）`]);
        lines = [`${name}様`, `ご注文いただきました商品を${date}に発送いたしました。`, `配送業者：${pick(['はやて運輸', '宅配便', 'ゆうパック'])}`, `お問い合わせ伝票番号：${Math.floor(1e11 + r() * 9e11)}`, '配送状況は以下のページからご確認いただけます（反映まで半日ほどかかる場合がございます）。', `お届け予定日：${month}月${Math.min(28, day + 2)}日`];
        break;
      case 'statement':
        transactional = true;
        subject = pick([`【${s.name}】ご利用明細確定のお知らせ`, `${month}月分ご請求金額のご案内`, `【${s.name}】お取引内容のお知らせ`, `ご利用代金明細書 Web掲載のお知らせ`]);
        lines = [`${name}様`, `いつも${s.name}をご利用いただき、ありがとうございます。`, `${month}月分のご利用明細が確定いたしました。`, `お支払日：${month}月${day}日`, '明細は会員専用サイトにログインのうえご確認ください。', 'ご登録の口座から自動で引き落としとなります。', '※当社からメールでパスワードや暗証番号をお尋ねすることはございません。'];
        break;
      case 'seminar':
        subject = pick([`【参加無料】${date}開催セミナーのご案内`, `${s.name}　イベント情報（${month}月）`, `【ご案内】講演会のお申し込み受付を開始しました`]);
        lines = some([`${date}（土）14時より、${s.name}にてセミナーを開催いたします。`, '参加費は無料です。定員になり次第締め切らせていただきます。', '会場へは駅から徒歩5分です。', 'オンラインでもご参加いただけます。', '当日の資料は後日ダウンロードいただけます。', 'お申し込みは下記のページから承ります。'], 4);
        break;
      case 'release':
        subject = pick([`【${s.name}】新バージョン${1 + Math.floor(r() * 9)}.${Math.floor(r() * 10)}リリースのお知らせ`, 'メンテナンス実施のお知らせ', `【重要】サービス利用規約改定のお知らせ`]);
        lines = some(['いつも弊社サービスをご利用いただき、ありがとうございます。', '新しいバージョンでは、検索の高速化と不具合の修正を行いました。', `${date} 深夜2時から5時まで、システムメンテナンスを実施いたします。`, 'メンテナンス中はサービスをご利用いただけません。', '詳しくはリリースノートをご覧ください。', 'ご不便をおかけいたしますが、ご理解のほどよろしくお願いいたします。'], 4);
        break;
      case 'magazine':
      default:
        subject = pick([`${s.name}メールマガジン　第${10 + Math.floor(r() * 300)}号`, `【${s.name}通信】${month}月号`, `今週のおすすめ｜${s.name}`]);
        lines = some([`${name}様、こんにちは。${s.name}です。`, '今週は読者の皆様からのお便りをご紹介します。', '季節のおすすめ商品と、スタッフのおすすめをまとめました。', 'ブログも毎週更新しています。', `${month}月のイベント情報をお届けします。`, '今月のプレゼント企画もお見逃しなく。', '最後までお読みいただき、ありがとうございました。'], 5);
    }
    const footer = transactional
      ? ['※本メールは送信専用アドレスから配信しております。ご返信いただいてもお答えできません。', `${s.name}　お客様センター　0120-000-${String(100 + i).slice(-3)}`, `Copyright (C) ${s.name} All Rights Reserved.`]
      : some(['※このメールは配信をご希望いただいたお客様にお送りしています。', `▼配信停止・配信先の変更はこちら\n${url('mail/stop')}`, `メールマガジンの配信停止をご希望の方は、こちらをクリックしてください。`, `※本メールは送信専用です。お問い合わせは ${url('contact')} まで。`, `発行：${s.name}　https://www.${s.domain}/`, `Copyright (C) ${s.name} All Rights Reserved.`, '掲載内容は配信時点のものです。価格・在庫は変更となる場合がございます。'], 3);
    const link = url(kind === 'order' || kind === 'shipping' ? 'mypage/order' : kind === 'statement' ? 'member/login' : 'campaign');
    const text = [...lines, '', `▼詳しくはこちら`, link, '', '━━━━━━━━━━━━━━━━━━', ...footer].join('\n') + '\n';
    const pixel = r() < 0.6 ? `<img src="https://open.${s.domain}/o.gif?u=${uid}" width="1" height="1" alt="">` : '';
    const nested = r() < 0.6;
    const body = `${lines.map((l) => `<p>${l}</p>`).join('')}<p><a href="${link}">詳しくはこちら</a></p>`;
    const foot = `<font size="1" color="#888888">${footer.map((f) => f.replace(/\n/g, '<br>').replace(/(https?:\/\/\S+)/, '<a href="$1">$1</a>')).join('<br>')}</font>`;
    const html = nested
      ? `<html><body><table width="100%" bgcolor="#f0f0f0"><tr><td align="center"><table width="600" bgcolor="#ffffff" cellpadding="10"><tr><td><img src="https://img.${s.domain}/mail/header.jpg" width="600" alt="${s.name}"></td></tr><tr><td>${body}</td></tr><tr><td>${foot}</td></tr></table>${pixel}</td></tr></table></body></html>`
      : `<html><head><meta http-equiv="Content-Type" content="text/html; charset=${cs}"></head><body><div style="max-width:600px;margin:0 auto">${body}<hr>${foot}</div>${pixel}</body></html>`;
    const shape = pick(transactional ? (['text', 'text', 'both'] as const) : (['html', 'both', 'both', 'text'] as const));
    const headers = [
      `Return-Path: <bounce-${uid}@mail.${s.domain}>`,
      `Received: from mail${1 + Math.floor(r() * 4)}.${s.domain} (mail.${s.domain} [203.0.113.${1 + Math.floor(r() * 250)}]) by mx.example.net with ESMTP id ${uid}`,
      ...(!transactional && r() < 0.6 ? [`List-Unsubscribe: <https://www.${s.domain}/mail/stop?u=${uid}>`] : []),
      ...(!transactional && r() < 0.4 ? ['Precedence: bulk'] : []),
      ...(r() < 0.3 ? [`X-Mailer: ${pick(['Benchmark Email', '配配メール', 'WiLL Mail', 'Cuenote'])}`] : []),
    ];
    const raw = buildMail({
      id,
      from: `${pick(['info', 'news', 'order', 'noreply', 'mailmag'])}@${s.domain}`,
      fromName: s.name,
      to: `${['yamada', 'sato', 'suzuki', 'tanaka'][i % 4]}@example.net`,
      subject,
      text: shape === 'html' ? undefined : text,
      html: shape === 'text' ? undefined : html,
      charset: cs,
      transfer: pick(['8bit', 'base64', 'quoted-printable'] as const),
      date: `${pick(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, ${String(day).padStart(2, '0')} ${pick(['Jan', 'Mar', 'May', 'Jul', 'Sep', 'Nov'])} 2025 ${String(7 + Math.floor(r() * 14)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}:00 +0900`,
      headers,
    });
    out.push({ id, group: 'legit-bulk-ja', label: 'ham', raw });
  }
  return out;
}

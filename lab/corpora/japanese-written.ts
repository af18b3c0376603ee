// A Japanese test set written message by message (not assembled from templates): phishing and advertising mail
// of the kinds Japanese sites receive, and the business mail, newsletters, receipts, notices and mailing-list posts
// they must never lose. Each message is sent in ISO-2022-JP, Shift_JIS, EUC-JP or UTF-8 in turn. It is held out:
// no weight is fitted on it (bench/spam-fit.ts fits on japanese-training.ts); it only judges.
import type { LabelledMessage } from './features.js';
import { JP_CHARSETS } from './japanese.js';
import { buildMail, type MailSpec } from './mailbuild.js';

interface Written {
  from: string;
  name?: string;
  subject: string;
  text?: string;
  html?: string;
  headers?: string[];
  /** Only UTF-8 can carry some characters (zero-width spaces, emoji). */
  utf8?: boolean;
}

const SPAM: Written[] = [
  { from: 'info@smbc-card-info.com', name: '三井住友カード', subject: '【三井住友カード】ご利用確認のお願い', text: 'いつも三井住友カードをご利用いただき誠にありがとうございます。\n\nお客様のカードにつきまして、第三者による不正利用の可能性があるお取引を検知いたしました。\nつきましては、ご利用の確認のため、以下のページにアクセスのうえ、カード情報をご入力ください。\n\nhttps://smbc-card-info.com/vpass/login\n\nご確認いただけない場合、カードのご利用を停止させていただく場合がございます。\n\n三井住友カード株式会社' },
  { from: 'support@amazon-jp-account.xyz', name: 'Amazon.co.jp', subject: 'Amazonプライムの自動更新に失敗しました', text: 'Amazonプライム会員様\n\nお支払いに使用されたカードの有効期限が切れているため、会員資格を更新できませんでした。\n引き続きご利用いただくには、支払い方法を更新してください。\n\n支払い方法を更新する → https://amazon-jp-account.xyz/ap/signin\n\n72時間以内に更新されない場合、プライム会員の特典はご利用いただけなくなります。\n\nAmazon.co.jp カスタマーサービス' },
  { from: 'noreply@rakuten-secure-login.top', name: '楽天会員サービス', subject: '【楽天】会員情報の変更手続きが行われました', text: '楽天会員様\n\nお客様の楽天会員情報（メールアドレス・パスワード）が変更されました。\nこの変更に心当たりがない場合は、直ちに下記URLよりログインし、本人確認を行ってください。\n\nhttp://rakuten-secure-login.top/member/auth\n\n※本人確認が取れない場合、楽天ポイントは失効いたします。' },
  { from: 'kuroneko@delivery-notice.icu', name: 'ヤマト運輸', subject: 'お荷物お届けのお知らせ（不在持ち帰り）', text: 'お客様宛にお荷物のお届けにあがりましたが、ご不在でしたので持ち帰りました。\n配送物は保管中です。下記よりご確認ください。\n\nhttp://203.0.113.77/yamato/\n\n保管期限を過ぎますと、差出人へ返送となります。' },
  { from: 'post@japan-post-track.buzz', name: '日本郵便', subject: '【日本郵便】お届け先住所の確認', text: 'ご利用ありがとうございます。\nお客様の荷物は住所が不完全なため、お届けできませんでした。\n再配達のお手続きと、送料200円のお支払いをお願いいたします。\n\nhttps://japan-post-track.buzz/redelivery\n\n日本郵便株式会社' },
  { from: 'security@mufg-direct-alert.com', name: '三菱UFJ銀行', subject: '【三菱UFJ銀行】お取引目的等確認のお願い', text: '三菱UFJ銀行をご利用いただき、ありがとうございます。\n\n当行では、犯罪収益移転防止法に基づき、お取引の目的等を確認させていただいております。\nお手数ですが、以下のリンクよりログインし、ご回答をお願いいたします。\n\nhttps://mufg-direct-alert.com/ib/login\n\nご回答がない場合、お取引を制限させていただきます。' },
  { from: 'info@yucho-bank-jp.net', name: 'ゆうちょ銀行', subject: 'ゆうちょダイレクト　利用停止のお知らせ', text: 'ゆうちょダイレクトをご利用のお客様\n\nセキュリティ上の理由により、お客様のゆうちょダイレクトのご利用を一時停止しております。\n再開のお手続きには、口座番号、暗証番号の入力が必要です。\n\nhttps://yucho-bank-jp.net/direct/\n\nゆうちょ銀行' },
  { from: 'notice@aeon-card-check.top', name: 'イオンカード', subject: '【イオンカード】利用制限のお知らせ', html: '<html><body><p>イオンカードをご利用のお客様へ</p><p>お客様のカードに不正利用の疑いがあるため、利用制限をかけさせていただきました。</p><p>以下より本人確認を完了させてください。</p><p><a href="https://aeon-card-check.top/verify">https://www.aeon.co.jp/</a></p><p>株式会社イオン銀行</p></body></html>' },
  { from: 'jcb@myjcb-service.info', name: 'MyJCB', subject: '【JCBカード】カード情報の更新について', html: '<html><body><table><tr><td>JCBカード会員様<br>システム更新に伴い、カード情報の再登録をお願いしております。<br><form action="http://myjcb-service.info/post" method="post">カード番号：<input name="card"><br>有効期限：<input name="exp"><br>セキュリティコード：<input name="cvv"><br><input type="submit" value="送信"></form></td></tr></table></body></html>' },
  { from: 'apple@id-apple-support.com', name: 'Apple', subject: 'Apple IDがロックされました', text: 'お客様のApple IDは、セキュリティ上の理由によりロックされています。\nロックを解除するには、アカウント情報を確認する必要があります。\n\nApple IDを確認 https://id-apple-support.com/unlock\n\n24時間以内に確認されない場合、Apple IDは完全に無効になります。\n\nApple サポート' },
  { from: 'etc@etc-meisai-kaiin.com', name: 'ETC利用照会サービス', subject: 'ETCサービスは無効になりました', text: 'いつもETCサービスをご利用頂きありがとうございます。\nお客様のETCサービスは無効になりました。引き続きご利用いただくには、下記リンクより詳細をご確認ください。\n\nhttps://etc-meisai-kaiin.com/\n\n※このメールは送信専用です。' },
  { from: 'nta@e-tax-refund.top', name: '国税庁', subject: '【国税庁】未納税金の差し押さえ最終通知', text: '国税庁からのお知らせです。\n\nあなたの所得税に未払いがあります。\n本日中にお支払いいただけない場合、法律に基づき財産の差し押さえを執行いたします。\n\nお支払いはこちら https://e-tax-refund.top/pay\n\n国税庁 徴収部' },
  { from: 'support@docomo-mypage-info.com', name: 'ドコモ', subject: '【ドコモ】ご利用料金のお支払いについて', text: 'ドコモをご利用のお客様へ\n\n今月のご利用料金のお支払いが確認できませんでした。\n料金未納のため、回線の利用停止を予定しております。\n\n▼お支払い手続き\nhttps://bit.ly/docomo-pay-2025\n\nNTTドコモ' },
  { from: 'info@mercari-jp-support.icu', name: 'メルカリ', subject: '【メルカリ】アカウントの利用制限について', text: 'メルカリをご利用いただきありがとうございます。\n\n不審な取引が確認されたため、お客様のアカウントの機能を制限しました。\n制限を解除するには、本人確認書類の提出と、登録情報の更新が必要です。\n\nhttps://mercari-jp-support.icu/verify\n\nメルカリ事務局' },
  { from: 'service@paypay-point-gift.site', name: 'PayPay', subject: 'PayPayポイント3000円分の受け取り期限が迫っています', text: 'PayPayをご利用の皆様\n\nキャンペーンに当選されたお客様に、PayPayポイント3,000円分をプレゼントしております。\n受け取り期限は本日までです。\n\n受け取りはこちら https://paypay-point-gift.site/get\n\nログインして受け取り手続きを完了してください。' },
  { from: 'admin@mail-server-quota.work', name: 'メールシステム管理者', subject: 'メールボックスの容量が上限に達しました', text: 'お使いのメールボックスの容量が上限に達しています。\n新しいメールを受信できなくなる前に、下記からアカウントを確認し、容量を増やしてください。\n\nhttp://mail-server-quota.work/webmail/login.php\n\nユーザー名とパスワードを入力してください。\n\nシステム管理者' },
  { from: 'netflix@account-netflix-jp.com', name: 'Netflix', subject: 'お支払いに問題があります', html: '<html><body><div style="max-width:600px"><h2>NETFLIX</h2><p>お客様のメンバーシップを更新できませんでした。</p><p>お支払い情報を更新しない場合、アカウントは停止されます。</p><p><a href="http://account-netflix-jp.com/billing">お支払い情報を更新</a></p></div></body></html>' },
  { from: 'mizuho@mizuho-direct-web.net', name: 'みずほ銀行', subject: '【みずほ銀行】お客様情報確認のお願い', text: 'みずほダイレクトをご利用のお客様\n\n当行では、お客様の口座を安全にご利用いただくため、お客様情報の確認を実施しております。\n下記ページにアクセスし、ログインのうえ、ご登録内容をご確認ください。\n\nhttps://mizuho-direct-web.net/login\n\n期限内にご確認いただけない場合、お取引を一部制限させていただきます。' },
  { from: 'info@saison-card-net.xyz', name: 'セゾンカード', subject: 'Netアンサー：カードご利用の確認', text: 'セゾンカードをご利用いただきありがとうございます。\n弊社では、不正利用防止のためのモニタリングを行っております。\nお客様のカードで、普段と異なるご利用が確認されました。\n\nご利用内容の確認 → https://saison-card-net.xyz/netanswer\n\nクレディセゾン' },
  { from: 'eki-net@jr-ekinet.top', name: 'えきねっと', subject: '【重要】えきねっと自動退会処理のお知らせ', text: 'えきねっとをご利用いただきありがとうございます。\n\nお客様のアカウントは長期間ログインされていないため、自動退会の対象となっております。\n退会を希望されない場合は、48時間以内に以下よりログインしてください。\n\nhttps://jr-ekinet.top/member/login\n\nえきねっと事務局' },
  { from: 'bitflyer@bitflyer-jp-verify.com', name: 'bitFlyer', subject: '【bitFlyer】出金制限のお知らせ', text: 'お客様の口座において、本人確認の再実施が必要となりました。\n本人確認が完了するまで、日本円および暗号資産の出金を制限しております。\n\n本人確認はこちら http://bitflyer-jp-verify.com/kyc\n\n株式会社bitFlyer' },
  { from: 'info@xn--amazon-9m4d.com', name: 'Amazon', subject: 'Amazon 注文のキャンセルについて', text: 'ご注文いただいた商品（ワイヤレスイヤホン）の決済に失敗しました。\nご注文をキャンセルしない場合は、以下のリンクからカード情報を再入力してください。\n\nhttps://xn--amazon-9m4d.com/order\n\nAmazon.co.jp' },
  { from: 'support@s0ftbank-mobile.com', name: 'ソフトバンク', subject: 'ソフトバンクからのお知らせ：ご利用料金のご確認', text: 'ソフトバンクをご利用いただきありがとうございます。\nご利用料金のお支払い方法に問題が発生しました。\n支払方法を更新しない場合、ご利用を停止いたします。\n\nhttps://s0ftbank-mobile.com/mysoftbank\n\nソフトバンク株式会社' },
  { from: 'tepco@denki-ryokin.live', name: '東京電力エナジーパートナー', subject: '【東京電力】電気料金の未払いに関する重要なお知らせ', text: '東京電力エナジーパートナーをご利用のお客様へ\n\n電気料金の未払いが確認されております。\n至急お支払いいただけない場合、電気の供給を停止いたします。\n\nお支払い https://denki-ryokin.live/pay\n\nお支払いが確認でき次第、停止は解除されます。' },
  { from: 'ad@cash-navi-plus.com', subject: '未承諾広告※ 主婦でも月30万円の在宅ワーク', text: '未承諾広告※\n\n子育て中の主婦の方でも、スマホひとつで月30万円を稼げる在宅ワークです。\n特別なスキルは一切不要、1日30分の作業で高収入が得られます。\n\n今なら無料で始められます。\nhttp://cash-navi-plus.com/join?ref=mail\n\n配信停止：stop@cash-navi-plus.com' },
  { from: 'mag@deai-station.vip', name: 'ゆかり', subject: '未承諾広告※　今夜会えませんか？', text: 'はじめまして、ゆかりです。\n近所に住んでいる32歳の人妻です。\n主人とはもう何年もなくて寂しい毎日を送っています。\n割り切った関係でお会いできる方を探しています。\n\nプロフィールはこちら\nhttp://deai-station.vip/p/yukari\n\n※このメールは未承諾広告です' },
  { from: 'info@fx-autotrade.club', subject: '【未承諾広告】勝率98%のFX自動売買ツール', text: '投資経験ゼロでも大丈夫。\n当社のAI自動売買ツールは勝率98%、月利20%の実績があります。\n元本保証プランもご用意しています。\n\n今だけ無料でツールを配布中です。先着50名様限定。\nhttps://fx-autotrade.club/lp\n' },
  { from: 'loan@kashitsuke-center.work', subject: '未 承 諾 広 告 ※ 審査に不安な方へ', text: '他社で断られた方もご相談ください。\n即日融資、ブラックでもOK、誰でも借りられます。\n最大300万円まで無担保でご融資いたします。\n\nお申込み http://kashitsuke-center.work/apply\n\n貸付センター' },
  { from: 'shop@supplement-outlet.top', subject: '(未承諾広告)話題の燃焼系サプリが今だけ半額', html: '<html><body><table><tr><td><table><tr><td><font color="red" size="5">未承諾広告※</font><br>飲むだけでマイナス10キロ！<br>芸能人も愛用の話題のサプリが今だけ半額です。<br>在庫限りの特別価格、お急ぎください。<br><a href="http://supplement-outlet.top/?id=88">今すぐ購入する</a></td></tr></table></td></tr></table></body></html>' },
  { from: 'prize@lucky-chance.click', subject: 'おめでとうございます！高額当選のお知らせ', text: 'おめでとうございます。\n厳正なる抽選の結果、あなたが当選金500万円の受取人に選ばれました。\n受け取り手続きは下記から本日中に完了してください。\n\nhttp://lucky-chance.click/receive\n\n※当選金の受け取りには事務手数料が必要となります。' },
  { from: 'office@kaneyoshi-shoji.xyz', subject: '副業で稼ぐ方法、教えます', text: '会社員のあなたへ。\n本業以外の収入が欲しいと思いませんか？\n私はこの方法で、たった3か月で月収100万円を達成しました。\n誰でも簡単に再現できるノウハウを、今だけ無料で公開しています。\n\n▼詳しくはこちら\nhttps://bit.ly/3kanemochi\n\n金吉' },
  { from: 'hacker@securemail.example.ru', subject: '重要なお知らせ：あなたのデバイスは監視されています', text: 'こんにちは。\n私はあなたのデバイスにマルウェアを仕込み、数か月間あなたを監視してきました。\nあなたがアダルトサイトを見ている恥ずかしい映像も録画済みです。\n\n48時間以内に、以下のビットコインアドレスへ1500ドル相当を送金してください。\nBTCアドレス: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n\n支払いが確認でき次第、映像は削除します。支払わなければ、連絡先全員に送信します。' },
  { from: 'seminar@okane-gakuen.online', subject: '【無料セミナー】知識ゼロから億り人へ', text: '仮想通貨で資産を10倍にした投資家が秘密のノウハウを公開！\n完全無料のオンラインセミナーです。\n\n参加者全員に必ず儲かる銘柄情報をプレゼント。\n今すぐ登録 → https://okane-gakuen.online/seminar\n\n※定員になり次第締め切ります。' },
  { from: 'info@health-drug-store.cn', subject: 'バイアグラ・シアリス 正規品通販', text: 'ED治療薬のバイアグラ、シアリスを格安でお届けします。\n処方箋不要、秘密厳守で発送いたします。\n\nご注文はこちら http://health-drug-store.cn/\n\n今なら2箱購入で1箱無料！' },
  { from: 'koukoku@sale-mail.example.net', subject: '未承諾広告※【最大90%OFF】ブランド品在庫一掃セール', html: '<html><body><center><p><b>未承諾広告※</b></p><p>有名ブランドのバッグ・時計が最大90%OFF！</p><p>在庫限りの大特価、今すぐクリック！</p><a href="http://brand-outlet-sale.top/">http://brand-outlet-sale.top/</a></center></body></html>' },
  { from: 'legal@saiken-kanri.work', name: '民事訴訟管理センター', subject: '【最終通告】訴訟手続き開始のお知らせ', text: 'あなたが以前ご利用になった有料動画サイトの利用料金が未納となっております。\n本日中にご連絡がない場合、民事訴訟の手続きに移行し、給与の差し押さえを執行します。\n\n取り下げのご相談は下記まで至急ご連絡ください。\n民事訴訟管理センター 03-0000-0000\nhttp://saiken-kanri.work/' },
  { from: 'jimukyoku@kirei-job.example.net', subject: '【高収入】簡単なお仕事のご案内', text: 'スマホでできる簡単なお仕事です。\n写真を撮って送るだけで日給3万円以上！\n初期費用はかかりません。\n\n応募はLINEで受け付けています。\nhttps://lin.ee/abcXYZ\n\n※即日払い可能です。' },
  { from: 'youko@chat-room.example.com', name: '陽子', subject: 'お久しぶりです、覚えてますか？', text: 'お久しぶりです、陽子です。\n前にサイトでやり取りしたの覚えてますか？\n最近引っ越して近くに住んでいるので、よかったらお茶でもしませんか？\n私の写真はここに載せています。\nhttp://chat-room.example.com/u/yoko88\n\n返事待ってます。' },
  { from: 'support@line-account-security.com', name: 'LINE', subject: '【LINE】アカウント凍結のお知らせ', text: 'LINEをご利用いただきありがとうございます。\nお客様のアカウントに不正なログインが検知されたため、アカウントを凍結しました。\n凍結を解除するには、24時間以内に認証を完了してください。\n\nhttps://line-account-security.com/auth\n\nLINE株式会社' },
  { from: 'a.suzuki.8812@gmail.com', name: 'Amazon.co.jp', subject: 'Amazonアカウントを更新できませんでした', text: 'Amazonをご利用いただきありがとうございます。\nお客様のアカウントの更新に問題がありました。\nお支払い情報を確認してください。\n\nhttp://amzn-verify.example.net/signin\n\nAmazon.co.jp' },
  { from: 'info@rakuten.co.jp.member-login.cn', name: '楽天カード', subject: '楽天カードご利用のお知らせ', text: '楽天カードをご利用いただきありがとうございます。\nカードのご利用がありましたのでお知らせします。\nご利用金額：89,800円\nご利用先：ONLINE SHOP\n\nお心当たりのない場合は、下記よりログインのうえご確認ください。\nhttps://rakuten.co.jp.member-login.cn/e-navi\n\n楽天カード株式会社' },
  { from: 'ad@kenkou-net.example.com', subject: '未承諾広告※ 医師が認めた育毛剤', utf8: true, text: '未\u200b承\u200b諾\u200b広\u200b告\u200b※\n\n薄毛に悩むあなたへ。\n医師も認めた育毛剤で、飲むだけで髪がよみがえります。\n今なら初回半額。\nhttp://kenkou-net.example.com/hair\n' },
  { from: 'offer@mail-campaign.example.org', subject: '【当選】iPhone 16をプレゼント', html: '<html><body><p>おめでとうございます！</p><p>あなたは本日の当選者に選ばれました。iPhone 16を受け取るには、送料500円のお支払いが必要です。</p><p><a href="https://tinyurl.com/iphone16-gift">今すぐ受け取る</a></p><p style="font-size:1px;color:#fff">ありがとうございました 会議 資料 よろしくお願いします</p></body></html>' },
  { from: 'support@binance-jp-login.top', name: 'Binance', subject: 'Binance 新しいデバイスからのログイン', text: '新しいデバイスからあなたのBinanceアカウントへのログインがありました。\nこのログインに心当たりがない場合は、直ちにアカウントを凍結してください。\n\nアカウントを保護する https://binance-jp-login.top/secure\n\nBinanceチーム' },
  { from: 'info@sagawa-exp-delivery.com', name: '佐川急便', subject: '佐川急便　お荷物の配達状況のご確認', text: 'お客様宛にお荷物のお届けにあがりましたが、宛先不明のため持ち帰りました。\n下記よりお届け先の住所をご確認ください。\n\nhttp://sagawa-exp-delivery.com/track?no=4412\n\n佐川急便株式会社' },
  { from: 'sender@seo-consulting.example.biz', subject: '御社ホームページの集客についてご提案', text: '突然のご連絡失礼いたします。\n御社のホームページを拝見し、ご連絡いたしました。\n弊社のSEO対策なら、確実に検索順位1位を獲得できます。\n成果報酬型で、リスクなしで始められます。\n\n詳しくはこちら https://bit.ly/seo-no1\n\n今月限定で初期費用無料キャンペーン中です。' },
  { from: 'vip@casino-royal.example.net', subject: '【限定】入金不要ボーナス3万円プレゼント', text: 'オンラインカジノ「ロイヤル」へようこそ。\n今なら登録するだけで入金不要ボーナス3万円をプレゼント！\n当選金はそのまま出金可能です。\n\n今すぐ登録 http://casino-royal.example.net/?ref=jp\n' },
  { from: 'info@ai-fukugyo.example.com', subject: 'AIで月収200万円', utf8: true, text: '🔥今だけ🔥\nAIを使った新しい副業で、誰でも簡単に稼げます！\nスマホだけで、1日10分、ほったらかしでOK。\n不労所得で人生を変えませんか？\n\n▼今すぐLINE登録▼\nhttps://lin.ee/fukugyo2025\n' },
  { from: 'info@jp-tax-refund.site', name: '国税庁', subject: '還付金のお知らせ', text: '国税庁です。\nあなたには還付金24,800円の受け取り権利があります。\n受け取り期限は本日までとなっております。\n以下のリンクから口座情報とカード情報を入力してください。\n\nhttps://jp-tax-refund.site/kanpu\n' },
  { from: 'microsoft@office365-mail-alert.com', name: 'Microsoft 365', subject: 'パスワードの有効期限が本日で切れます', html: '<html><body><p>Microsoft 365</p><p>お使いのアカウントのパスワードの有効期限が本日で切れます。</p><p>現在のパスワードを引き続き使用するには、以下から確認してください。</p><p><a href="http://198.51.100.23/owa/">現在のパスワードを保持する</a></p></body></html>' },
  { from: 'no-reply@au-pay-info.com', name: 'au PAY', subject: '【au PAY】ポイント失効のお知らせ', text: 'いつもau PAYをご利用いただきありがとうございます。\nお客様のPontaポイント5,000ポイントが本日失効します。\n失効を防ぐには、ログインしてポイントの有効期限を延長してください。\n\nhttps://au-pay-info.com/ponta\n' },
  { from: 'm-yoshida@kouryu-net.example.com', subject: '未承諾広告※異業種交流会のご案内', text: '未承諾広告※\n経営者の皆様へ\n月に一度、都内のホテルで異業種交流会を開催しております。\n参加費は無料、名刺交換だけでも大歓迎です。\n\n▼お申込み\nhttp://kouryu-net.example.com/entry\n\n今後ご案内が不要な方はこのメールにご返信ください。' },
  { from: 'staff@kabu-joho.example.net', subject: '【極秘】来週、必ず上がる銘柄', text: 'この情報は会員様だけにお送りしています。\n来週、ある銘柄が確実に3倍になります。\n情報料は成功報酬のみ、損はさせません。\n\n銘柄の詳細はこちら\nhttp://kabu-joho.example.net/vip\n\n※情報の転送は固くお断りいたします。' },
  { from: 'support@paypal-kakunin.top', name: 'PayPal', subject: 'PayPal：アカウントが制限されています', text: 'お客様のPayPalアカウントは制限されています。\n最近のお取引を確認したところ、異常なアクティビティを検出しました。\n制限を解除するには、以下の手順に従ってください。\n\n1. ログイン\n2. 本人確認\n3. カード情報の確認\n\nhttps://paypal-kakunin.top/signin\n' },
  { from: 'info@kyuujin-navi.example.net', subject: '【高収入】日給5万円の簡単な運び仕事', text: '荷物を受け取って指定の場所に届けるだけの簡単なお仕事です。\n日給5万円、即日払い、身分証の写真を送るだけで登録完了。\n\n詳細はテレグラムでお伝えします。\nhttps://t.me/kantan_job\n' },
  { from: 'mail@oshirase-center.work', name: 'NHK', subject: '【NHK】受信料のお支払い方法について', text: 'NHKをご利用いただきありがとうございます。\n受信料のお支払いが確認できておりません。\n以下よりお支払い方法の変更をお願いいたします。\n\nhttps://oshirase-center.work/nhk/pay\n\n期限を過ぎますと延滞料金が発生します。' },
  { from: 'hanako.loves.you@example.com', name: 'はなこ', subject: 'はなこだよ♪', utf8: true, text: 'こんばんは💕はなこです\nサイトで見かけて、タイプだったからメールしちゃった😊\n実はちょっとエッチなお願いがあって…\n私の秘密の写真、ここに置いてるから見てね\nhttp://hanako-room.example.com/secret\n' },
  { from: 'no-reply@kuroneko-yamato-jp.com', name: 'クロネコヤマト', subject: '【ヤマト運輸】再配達のご依頼受付', html: '<html><body><table width="600"><tr><td><img src="http://kuroneko-yamato-jp.com/logo.png"><p>お荷物の再配達のご依頼を受け付けました。</p><p>配送料の未払いがあるため、以下からお支払いください。</p><p><a href="http://kuroneko-yamato-jp.com/pay">https://www.kuronekoyamato.co.jp/</a></p></td></tr></table></body></html>' },
  { from: 'sales@wholesale-mask.example.cn', subject: '在庫限り！医療用マスク激安卸', text: '医療用マスク、50枚入り1箱99円から！\n在庫限りの激安価格です。\n業者様歓迎、大量注文も対応いたします。\n\nご注文はこちら http://wholesale-mask.example.cn/order\n\n今すぐご注文ください！' },
  { from: 'info@iryou-datsumo.example.net', subject: '未承諾広告※全身脱毛が今なら月額990円', text: '未承諾広告※\n人気の医療脱毛クリニックが期間限定キャンペーン中！\n全身脱毛が月額990円、今だけ初回無料カウンセリング。\n\nご予約はこちら\nhttps://iryou-datsumo.example.net/\n\n※配信停止はこちら https://iryou-datsumo.example.net/stop' },
  { from: 'info@crypto-airdrop.example.xyz', subject: '【無料配布】仮想通貨エアドロップ当選', text: 'おめでとうございます。\nあなたは新規仮想通貨の無料配布に当選しました。\n受け取りには、ウォレットの秘密鍵を入力してください。\n\nhttps://crypto-airdrop.example.xyz/claim\n\n本日中に受け取らない場合、権利は失効します。' },
  { from: 'service@ana-mileage-club.top', name: 'ANAマイレージクラブ', subject: '【ANA】マイル有効期限のお知らせ', text: 'ANAマイレージクラブ会員様\n\nお客様の保有マイルのうち、30,000マイルが本日有効期限を迎えます。\nマイルの延長手続きは、以下よりログインのうえお手続きください。\n\nhttps://ana-mileage-club.top/login\n' },
];

const HAM: Written[] = [
  { from: 'k-tanaka@sakura-shoji.example.co.jp', name: '田中 健一', subject: '来週の定例会議について', text: '皆様\n\nお疲れさまです。田中です。\n来週の定例会議ですが、会議室の都合により水曜日の十五時からに変更となりました。\n議題は以下のとおりです。\n\n1. 上期の売上報告\n2. 新規案件の進捗\n3. その他\n\n資料は前日までに共有フォルダに格納してください。\nよろしくお願いいたします。' },
  { from: 'y-sato@midori-kensetsu.example.jp', name: '佐藤 裕子', subject: 'お見積書送付のご案内', text: '株式会社さくら商事\n購買部 山本様\n\nいつも大変お世話になっております。\nみどり建設の佐藤でございます。\n\n先日ご依頼いただきました倉庫改修工事のお見積書を添付にてお送りいたします。\nご検討のほど、よろしくお願い申し上げます。\nご不明な点がございましたら、お気軽にお問い合わせください。\n\nみどり建設株式会社 営業部\n佐藤 裕子' },
  { from: 'keiri@tsubaki-sangyo.example.co.jp', name: '椿産業 経理部', subject: '【請求書送付】2025年5月分', text: 'お取引先各位\n\n平素は格別のご高配を賜り、厚く御礼申し上げます。\n2025年5月分のご請求書をお送りいたします。\nお支払い期日：2025年6月30日\nお振込先：みどり銀行 本店営業部 普通 1234567\n\n何卒よろしくお願い申し上げます。\n\n椿産業株式会社 経理部' },
  { from: 'it-support@kaede-soft.example.jp', name: '情報システム部', subject: '【全社】パスワード変更のお願い（6月30日まで）', text: '社員各位\n\n情報システム部です。\nセキュリティポリシーに基づき、社内システムのパスワードの定期変更をお願いいたします。\n変更期限：6月30日\n\n変更方法は社内ポータルの「パスワード変更」メニューから行えます。\n期限を過ぎるとログインできなくなりますので、早めの変更をお願いします。\n\nなお、情報システム部からメールでパスワードを問い合わせることはありません。\n不審なメールを受け取った場合は内線1234までご連絡ください。' },
  { from: 'soumu@kaede-soft.example.jp', name: '総務部', subject: '健康診断のご案内', text: '社員各位\n\n今年度の定期健康診断を下記のとおり実施します。\n\n日時：7月10日（木）から7月12日（土）\n場所：本社3階 大会議室\n\n予約は社内ポータルから各自お願いします。\n前日の21時以降は飲食をお控えください。\n\n総務部' },
  { from: 'ono@hinoki-design.example.jp', name: '小野 真理', subject: 'Re: ロゴデザイン修正の件', text: '鈴木様\n\nご確認ありがとうございます。\nいただいたご意見をもとに、色味を少し落ち着いたトーンに修正しました。\n修正案を2点お送りしますので、ご検討ください。\n\n今週中にご返信いただければ、来週月曜日に最終データを納品いたします。\n\nひのきデザイン 小野' },
  { from: 'hr@aozora-recruit.example.jp', name: '青空リクルート 採用担当', subject: '一次面接日程のご連絡', text: '山田 太郎 様\n\nこの度は弊社の求人にご応募いただき、誠にありがとうございます。\n書類選考の結果、ぜひ面接にお越しいただきたくご連絡いたしました。\n\n候補日：6月12日（木）14時 / 6月13日（金）10時\n\nご都合のよい日時をご返信ください。\n\n青空リクルート株式会社 人事部 採用担当' },
  { from: 'auto-confirm@amazon.co.jp', name: 'Amazon.co.jp', subject: 'Amazon.co.jpでのご注文', text: 'Amazon.co.jpをご利用いただき、ありがとうございます。\nご注文の確認をお知らせします。\n\n注文番号：503-2233445-6677889\n商品：はじめてのTypeScript 入門編\n数量：1\nご請求額：2,970円\n\nお届け予定：6月6日 金曜日\n\n注文内容はアカウントサービスからご確認いただけます。\nまたのご利用をお待ちしております。' },
  { from: 'order@rakuten.co.jp', name: '楽天市場', subject: '【楽天市場】注文内容ご確認（自動配信メール）', text: 'この度は楽天市場でのお買い物、誠にありがとうございます。\n\n[受注番号] 123456-20250603-0012345678\n[ショップ名] 山形のさくらんぼ園\n[商品] 佐藤錦 500g 1点\n[お支払い方法] クレジットカード\n[合計金額] 4,200円\n\nショップからの発送連絡をお待ちください。\n\n楽天市場' },
  { from: 'mail@kuronekoyamato.co.jp', name: 'ヤマト運輸', subject: 'お届け予定のお知らせ', text: 'ヤマト運輸よりお荷物のお届け予定をお知らせいたします。\n\nお届け予定日時：6月5日（木）14時から16時\n伝票番号：3456-7890-1234\nご依頼主：山形のさくらんぼ園\n\nお受け取り日時・場所の変更はクロネコメンバーズからお手続きいただけます。\n※このメールは送信専用です。' },
  { from: 'info@smbc-card.com', name: '三井住友カード', subject: '【三井住友カード】カードご利用のお知らせ', text: 'いつも三井住友カードをご利用いただきありがとうございます。\nご利用いただいた内容をお知らせします。\n\nご利用日：2025/06/02\nご利用先：コンビニエンスストア\nご利用金額：1,280円\n\nご利用内容の詳細はVpassアプリでご確認いただけます。\n本メールは送信専用のため、ご返信いただけません。' },
  { from: 'no_reply@email.apple.com', name: 'Apple', subject: 'Apple IDを使用して新しいデバイスでサインインしました', text: 'お使いのApple IDが、新しいMacBook Airでのサインインに使用されました。\n\n日時：2025年6月3日 10:15\n\nこのサインインにお心当たりがある場合は、このメールを無視してください。\nお心当たりがない場合は、設定からパスワードを変更してください。\n\nApple' },
  { from: 'news@mail.rakuten.co.jp', name: '楽天市場', subject: '【楽天市場】お買い物マラソン開催中！ポイント最大44倍', html: '<html><body><table width="100%" cellpadding="0"><tr><td align="center"><table width="600"><tr><td><div style="display:none">ポイント最大44倍のチャンス</div><a href="https://r10.to/hMarathon"><img src="https://image.rakuten.co.jp/marathon.jpg" alt="お買い物マラソン"></a><p>お買い物マラソンが始まりました！</p><p>期間中、ショップ買いまわりでポイント最大44倍。今だけのクーポンもご用意しています。</p><p><a href="https://r10.to/hCoupon">クーポンを獲得する</a></p><p style="font-size:10px">このメールは楽天会員の方にお送りしています。メール配信の停止は<a href="https://member.rakuten.co.jp/">こちら</a></p></td></tr></table></td></tr></table></body></html>' },
  { from: 'info@mail.morinohonya.example.jp', name: '森の本屋', subject: '森の本屋 6月の新刊案内', html: '<html><body><table width="600"><tr><td><h2>6月の新刊</h2><p>梅雨の季節にぴったりの小説を集めました。</p><ul><li><a href="https://click.morinohonya.example.jp/r?id=1">『雨音の図書館』</a></li><li><a href="https://click.morinohonya.example.jp/r?id=2">『紫陽花の咲く坂道』</a></li></ul><p>会員様は送料無料でお届けします。</p><p><a href="https://click.morinohonya.example.jp/r?id=3">morinohonya.example.jp</a></p><p>配信停止をご希望の方は<a href="https://morinohonya.example.jp/mail/stop">こちら</a></p></td></tr></table></body></html>' },
  { from: 'newsletter@techblog.example.jp', name: 'TechBlog週刊ニュース', subject: '[TechBlog] 今週の注目記事：TypeScript 5.8の新機能', text: 'TechBlog週刊ニュース 第212号\n\n今週の注目記事\n■ TypeScript 5.8の新機能まとめ\nhttps://techblog.example.jp/articles/ts58\n■ Node.js 22で変わったこと\nhttps://techblog.example.jp/articles/node22\n■ SQLiteのWALモードを理解する\nhttps://techblog.example.jp/articles/sqlite-wal\n\n配信停止はこちら：https://techblog.example.jp/unsubscribe\n', headers: ['List-Unsubscribe: <https://techblog.example.jp/unsubscribe>'] },
  { from: 'ruby-list-owner@ml.example.jp', name: '中村 由美', subject: '[ruby-list:61234] Re: Encoding::CompatibilityError が出る', text: '中村です。\n\n> 文字列を連結すると Encoding::CompatibilityError が出ます。\n\nSJISの文字列とUTF-8の文字列を連結しているのが原因だと思います。\n読み込むときに encode("UTF-8") しておけば大丈夫です。\n\n--\n中村 由美\n\n_______________________________________________\nruby-list mailing list\nhttps://ml.example.jp/mailman/listinfo/ruby-list\n', headers: ['List-Id: <ruby-list.ml.example.jp>', 'List-Post: <mailto:ruby-list@ml.example.jp>'] },
  { from: 'pta@sakura-sho.example.jp', name: 'さくら小PTA', subject: '【PTA】プール清掃のお手伝い募集', text: '保護者の皆様\n\nいつもPTA活動にご協力いただきありがとうございます。\n6月14日（土）9時から、プール清掃を行います。\nお手伝いいただける方は、6月10日までにご返信ください。\n\n軍手と動きやすい服装でお越しください。\n\nさくら小学校PTA 広報委員会' },
  { from: 'machi@chounaikai.example.jp', name: '中町町内会', subject: '夏祭り実行委員会のお知らせ', text: '町内会の皆様\n\n今年の夏祭りの実行委員会を下記のとおり開催します。\n\n日時：6月20日（金）19時\n場所：中町公民館\n\n屋台の担当と、当日の交通整理の担当を決めます。\nご参加をお願いいたします。\n\n中町町内会 会長 渡辺' },
  { from: 'mother@example.ne.jp', name: '母', subject: 'さくらんぼ送りました', text: '元気にしてる？\n山形のさくらんぼを送ったから、金曜日には届くと思うよ。\n冷蔵庫に入れて早めに食べてね。\nお盆には帰ってこられそう？\n\n母より' },
  { from: 'takeshi.k@example.com', name: '木村 健', subject: '週末のキャンプの件', text: 'お疲れ！\n週末のキャンプだけど、天気予報だと土曜日は晴れそう。\nテントは俺が持っていくから、食材の買い出しをお願いしてもいい？\n集合は朝7時に駅前で。\n\n健' },
  { from: 'reserve@hotel-minato.example.jp', name: 'ホテルみなと', subject: 'ご予約確認のお知らせ', text: '山田 太郎 様\n\nこの度はホテルみなとをご予約いただき、誠にありがとうございます。\n\nご宿泊日：2025年7月19日（土）1泊\nお部屋：スタンダードツイン 禁煙\nご宿泊人数：大人2名\nお支払い：現地にてお支払い\n\nチェックインは15時からです。\nご来館を心よりお待ちしております。' },
  { from: 'info@eki-net.com', name: 'えきねっと', subject: '【えきねっと】予約完了のお知らせ', text: 'えきねっとをご利用いただき、ありがとうございます。\n以下の内容で予約を承りました。\n\n乗車日：7月18日\n列車：はやぶさ17号 東京→仙台\n座席：8号車 5番A席\n\nきっぷの受け取りは、指定席券売機で行ってください。' },
  { from: 'seminar@cloud-academy.example.jp', name: 'クラウドアカデミー', subject: '【無料ウェビナー】はじめてのクラウド移行 6月18日開催', html: '<html><body><table width="600"><tr><td><h3>はじめてのクラウド移行ウェビナー</h3><p>オンプレミスからクラウドへの移行を検討している情報システム担当者向けのウェビナーです。</p><p>日時：6月18日（水）15時から16時<br>参加費：無料</p><p><a href="https://cloud-academy.example.jp/webinar/0618">お申し込みはこちら</a></p><p>※本メールは過去に弊社セミナーにご参加いただいた方にお送りしています。配信停止は<a href="https://cloud-academy.example.jp/optout">こちら</a></p></td></tr></table></body></html>' },
  { from: 'info@docomo.ne.jp', name: 'NTTドコモ', subject: '【ドコモ】ご利用料金確定のお知らせ', text: 'いつもドコモをご利用いただきありがとうございます。\n2025年5月分のご利用料金が確定しました。\n\nご請求金額：7,480円\nお支払い方法：口座振替（6月26日）\n\n内訳はMy docomoでご確認いただけます。\nhttps://www.docomo.ne.jp/mydocomo/\n' },
  { from: 'noreply@mercari.jp', name: 'メルカリ', subject: '購入された商品を発送してください', text: 'あなたが出品した商品が購入されました。\n\n商品名：キャンプ用ランタン\n販売価格：3,500円\n\n購入者の支払いが完了しています。\n商品を梱包し、発送してください。\n発送後、取引画面で発送通知をお願いします。\n\nメルカリ' },
  { from: 'kanri@mansion-sakura.example.jp', name: 'マンション管理組合', subject: '給水設備点検のお知らせ', text: '居住者の皆様\n\n6月21日（土）10時から12時まで、給水設備の点検を行います。\n点検中は断水となりますので、事前に水をくみ置きしてください。\nご不便をおかけしますが、ご協力をお願いいたします。\n\nさくらマンション管理組合' },
  { from: 'library@city-tosho.example.lg.jp', name: '市立図書館', subject: '予約資料のご用意ができました', text: '山田 太郎 様\n\nご予約いただいた資料のご用意ができました。\n\n資料名：日本の鉄道史\n取置期限：6月12日\n受取館：中央図書館\n\n期限を過ぎると予約は取り消しとなります。\n市立図書館' },
  { from: 'tanaka@kaede-soft.example.jp', name: '田中 健太', subject: '障害報告：メール配信サーバーの遅延について', text: '関係者各位\n\n本日10時頃から、メール配信サーバーで配信の遅延が発生しておりました。\n原因はディスク容量の不足で、不要なログを削除したことにより11時30分に復旧しています。\n影響を受けたメールは順次再送されています。\n\n再発防止策は別途ご報告します。\n\n田中' },
  { from: 'gakkai@jsai-kansai.example.or.jp', name: '関西情報学会', subject: '【CFP】第25回関西情報学会研究会 論文募集', text: '会員各位\n\n第25回関西情報学会研究会の論文を募集します。\n\n投稿締切：7月31日\n開催日：10月18日\n会場：大阪市内（オンライン併用）\n\n投稿方法は学会ウェブサイトをご覧ください。\nhttps://jsai-kansai.example.or.jp/cfp25\n\n関西情報学会 研究会担当', headers: ['List-Id: <members.jsai-kansai.example.or.jp>'] },
  { from: 'yoyaku@dental-hoshino.example.jp', name: 'ほしの歯科', subject: 'ご予約日のお知らせ', text: '山田様\n\nほしの歯科です。\n次回のご予約は6月9日（月）18時30分です。\nご都合が悪くなった場合は、お電話でご連絡ください。\n\nほしの歯科 03-1111-2222' },
  { from: 'shop@sakuranbo-en.example.jp', name: '山形のさくらんぼ園', subject: '発送のご連絡', text: '山田 太郎 様\n\nこの度はご注文いただき、誠にありがとうございます。\n本日、商品を発送いたしました。\n\n配送業者：ヤマト運輸\n伝票番号：3456-7890-1234\n\nお届けまで今しばらくお待ちください。\n山形のさくらんぼ園 店長 斎藤' },
  { from: 'info@uniqlo.example.jp', name: 'ユニクロ', subject: '今週の期間限定価格', html: '<html><body><table width="100%"><tr><td><table width="600" align="center"><tr><td><a href="https://link.uniqlo.example.jp/u/1"><img src="https://img.uniqlo.example.jp/top.jpg"></a><p>今週の期間限定価格のご案内です。</p><p>エアリズムTシャツ 990円</p><p>ドライパーカ 1,990円</p><p><a href="https://link.uniqlo.example.jp/u/2">www.uniqlo.example.jp</a></p><p><font size="1">配信停止はマイページから</font></p></td></tr></table></td></tr></table></body></html>' },
  { from: 'noreply@github.example.com', name: 'GitHub', subject: '[tegami/tegami] Pull request #412: IMAP IDLE の修正', text: 'suzuki-i requested your review on: tegami/tegami#412 IMAP IDLE の修正\n\nIDLE中にDONEを送ったときのタイムアウト処理を修正しました。\nテストも追加しています。\n\nView it on GitHub:\nhttps://github.example.com/tegami/tegami/pull/412\n\nYou are receiving this because your review was requested.' },
  { from: 'customer@mizuhobank.co.jp', name: 'みずほ銀行', subject: '【みずほ銀行】システムメンテナンスに伴うサービス休止のお知らせ', text: 'いつもみずほ銀行をご利用いただき、誠にありがとうございます。\n\nシステムメンテナンスのため、下記の時間帯はみずほダイレクトをご利用いただけません。\n\n休止日時：6月15日（日）0時から6時\n\nお客様にはご不便をおかけしますが、ご理解を賜りますようお願い申し上げます。\n\n※当行から、メールでお客様の暗証番号やパスワードをお尋ねすることはございません。' },
  { from: 'kyuuyo@kaede-soft.example.jp', name: '人事部', subject: '6月分給与明細の発行について', text: '社員各位\n\n6月分の給与明細を給与システムに掲載しました。\n社内ネットワークからログインしてご確認ください。\n支給日は6月25日です。\n\n人事部 給与担当' },
  { from: 'sato@example.ne.jp', name: '佐藤 花子', subject: '同窓会の出欠確認', text: 'みなさん、お元気ですか？\n佐藤（旧姓：木下）です。\n\n10月に高校の同窓会を開くことになりました。\n日時：10月11日（土）18時\n場所：駅前のホテル\n会費：8,000円\n\n出欠を8月末までに返信してください。\n久しぶりに会えるのを楽しみにしています！' },
  { from: 'info@city.example.lg.jp', name: '市役所 防災課', subject: '【防災メール】大雨注意報が発表されました', text: '市役所防災課からのお知らせです。\n\n本日15時、市内に大雨注意報が発表されました。\n河川の増水や土砂災害に注意してください。\n\n最新の情報は市のホームページでご確認ください。\nhttps://www.city.example.lg.jp/bousai/\n' },
  { from: 'support@kaede-cloud.example.jp', name: 'かえでクラウド サポート', subject: '【ご請求】2025年5月分ご利用料金', text: 'かえでクラウドをご利用いただきありがとうございます。\n\n2025年5月分のご利用料金をお知らせします。\nご請求金額：12,650円（税込）\nお支払い方法：クレジットカード（登録済み）\n\n請求書は管理画面の「お支払い」からダウンロードできます。\n' },
  { from: 'info@tabimado.example.jp', name: '旅の窓口トラベル', subject: '夏休み早割プラン 受付開始', html: '<html><body><table width="600"><tr><td><p>夏休みの旅行の計画はお済みですか？</p><p>早割プランなら最大30%OFF。人気の温泉宿は早めのご予約がおすすめです。</p><p><a href="https://bit.ly/tabi-summer25">早割プランを見る</a></p><p>このメールは旅の窓口トラベルの会員様にお送りしています。<br>配信停止：<a href="https://tabimado.example.jp/mail/stop">こちら</a></p></td></tr></table></td></tr></table></body></html>' },
  { from: 'nakamura@kojima-kougyou.example.co.jp', name: '中村 誠', subject: '納期変更のお願い', text: '椿産業株式会社\n購買課 伊藤様\n\nいつもお世話になっております。\n小島工業の中村です。\n\nご注文いただいております部品Aにつきまして、材料の入荷遅れにより、\n納期を6月20日から6月27日に変更させていただきたく、ご連絡いたしました。\n\nご迷惑をおかけし大変申し訳ございません。\nご了承のほど、よろしくお願い申し上げます。' },
  { from: 'ohtsuka@law-office.example.jp', name: '大塚法律事務所', subject: '契約書案のご確認', text: '株式会社さくら商事\n法務部 ご担当者様\n\nいつもお世話になっております。\n大塚法律事務所の大塚です。\n\nご依頼の業務委託契約書案を作成しましたので、添付にてお送りします。\n第5条（損害賠償）と第12条（秘密保持）について、ご確認をお願いいたします。\n\n来週中にご意見をいただければ幸いです。' },
  { from: 'team@kaede-soft.example.jp', name: '開発チーム', subject: 'リリース手順書の共有', text: '開発チームの皆さん\n\n来週のリリース手順書を共有します。\n手順書：https://wiki.kaede-soft.example.jp/release/2025-06\n\n特に、データベースの移行手順は必ず事前に確認してください。\nリハーサルは木曜日の17時から行います。' },
  { from: 'uketsuke@clinic-aoba.example.jp', name: 'あおばクリニック', subject: 'ワクチン接種の予約確認', text: '山田 花子 様\n\nワクチン接種のご予約を承りました。\n\n日時：6月17日（火）11時\n持ち物：予診票、保険証、お薬手帳\n\nキャンセルの場合は前日までにご連絡ください。\nあおばクリニック' },
  { from: 'info@yodobashi.example.jp', name: 'ヨドバシ・ドット・コム', subject: 'ご注文商品の出荷のお知らせ', text: 'ヨドバシ・ドット・コムをご利用いただき、誠にありがとうございます。\nご注文の商品を出荷いたしました。\n\nご注文番号：1234567890\n商品：USBメモリ 64GB\nお支払い方法：代金引換\n\n配達状況は配送業者のサイトでご確認いただけます。' },
  { from: 'bukatsu@sakura-chu.example.jp', name: 'さくら中学校 吹奏楽部', subject: '定期演奏会のご案内', text: '保護者の皆様\n\n吹奏楽部の定期演奏会を下記のとおり開催します。\n\n日時：7月21日（月・祝）13時開演\n場所：市民会館 大ホール\n入場無料\n\nご家族、ご友人お誘い合わせのうえ、ぜひお越しください。' },
  { from: 'haisha@example.ne.jp', name: '林 直樹', subject: '写真送ります', text: 'この前の旅行の写真、共有フォルダにアップしました。\nhttps://photos.example.ne.jp/share/abc123\n\nパスワードは前に伝えたやつです。\nまた行こうね。\n\n直樹' },
  { from: 'support@shopify-store.example.jp', name: '雑貨店こもれび', subject: 'お問い合わせありがとうございます', text: '山田様\n\nこの度は雑貨店こもれびにお問い合わせいただきありがとうございます。\nご質問の商品（木製のトレイ）は、来週入荷予定です。\n入荷しましたらメールでお知らせいたします。\n\n雑貨店こもれび 店主' },
  { from: 'admin@hoikuen-himawari.example.jp', name: 'ひまわり保育園', subject: '7月の行事予定', text: '保護者の皆様\n\n7月の行事予定をお知らせします。\n・7月7日 七夕会\n・7月18日 夏祭り\n・7月25日 プール開き\n\n夏祭りの浴衣の着用は任意です。\n\nひまわり保育園' },
  { from: 'info@jcb.co.jp', name: 'JCB', subject: '【JCB】カードご利用代金明細のお知らせ', text: 'JCBカードをご利用いただき、ありがとうございます。\n\n今月のご利用代金明細をMyJCBに掲載しました。\nお支払い日：6月10日（火）\nお支払い金額：32,400円\n\nMyJCBにログインしてご確認ください。\nhttps://my.jcb.co.jp/\n\n※本メールは送信専用アドレスから配信しています。' },
  { from: 'kaigi@sakura-shoji.example.co.jp', name: '会議室予約システム', subject: '会議室予約の確定', text: '以下の会議室予約が確定しました。\n\n会議室：第3会議室\n日時：6月11日 10:00から11:00\n予約者：田中 健一\n件名：新規案件打ち合わせ\n\n※このメールはシステムから自動送信されています。' },
  { from: 'moriyama@example.co.jp', name: '森山 亮', subject: 'Re: 転職のご相談', text: '山田さん\n\nご連絡ありがとうございます。\n転職の件、ぜひ一度お話ししましょう。\n来週の火曜日か水曜日の夜はいかがですか。\n駅前のカフェでお待ちしています。\n\n森山' },
  { from: 'info@ja-midori.example.jp', name: 'JAみどり', subject: '直売所 夏野菜フェアのお知らせ', text: 'JAみどり直売所より\n\n今年も夏野菜フェアを開催します。\nとれたてのトマト、きゅうり、なすを特別価格で販売します。\n先着100名様に新鮮な枝豆をプレゼント！\n\n日時：7月5日（土）9時から\n場所：JAみどり直売所\n' },
  { from: 'ml@linux-users.example.jp', name: '小林 学', subject: '[linux-users:4455] 次回のオフ会', text: '小林です。\n\n次回のオフ会は7月12日（土）14時から、いつもの会議室で行います。\nテーマは「自宅サーバーでメールを運用する」です。\nLTの発表者も募集中です。\n\n--\n小林 学\n\n-----------------------------------------------\nlinux-users mailing list\nlinux-users@linux-users.example.jp\nhttps://linux-users.example.jp/mailman/listinfo/linux-users', headers: ['List-Id: <linux-users.linux-users.example.jp>', 'X-Mailman-Version: 2.1.39'] },
  { from: 'info@kokuzei-zeirishi.example.jp', name: '税理士法人みどり会計', subject: '確定申告書類のご準備のお願い', text: '山田様\n\nいつもお世話になっております。みどり会計の佐々木です。\n来年の確定申告に向けて、下記書類のご準備をお願いいたします。\n\n・源泉徴収票\n・医療費の領収書\n・ふるさと納税の受領証明書\n\n12月中旬までにお送りいただけますと助かります。' },
  { from: 'noreply@zoom-like.example.com', name: 'オンライン会議サービス', subject: '会議の招待：プロジェクト定例', text: '田中 健一さんがあなたをオンライン会議に招待しています。\n\nトピック：プロジェクト定例\n時刻：2025年6月10日 10:00 日本\n\n会議に参加する：\nhttps://meet.example.com/j/1234567890\n\nミーティングID：123 456 7890' },
  { from: 'event@kaede-soft.example.jp', name: '社内イベント事務局', subject: '【参加募集】社内ボウリング大会', text: '社員の皆さん\n\n恒例の社内ボウリング大会を開催します！\n日時：7月4日（金）19時から\n場所：駅前ボウル\n参加費：会社負担\n\n上位チームには豪華賞品をご用意しています。\n参加希望者は6月27日までに返信してください。' },
  { from: 'info@kominkan.example.lg.jp', name: '中央公民館', subject: '市民講座「はじめてのスマホ教室」受講者募集', text: '中央公民館より市民講座のご案内です。\n\n「はじめてのスマホ教室」\n日時：7月の毎週火曜日 10時から12時（全4回）\n対象：市内在住の60歳以上の方\n受講料：無料\n定員：20名（応募多数の場合は抽選）\n\n申し込みは電話または窓口で受け付けています。' },
  { from: 'henshu@shuppan.example.co.jp', name: '編集部 吉田', subject: '原稿締め切りのご確認', text: '山田先生\n\nいつもお世話になっております。編集部の吉田です。\n次号の連載原稿の締め切りは6月20日となっております。\n図版がある場合は、あわせてお送りください。\n\nどうぞよろしくお願いいたします。' },
  { from: 'kumiai@kenpo.example.or.jp', name: '健康保険組合', subject: '特定保健指導のご案内', text: '被保険者の皆様\n\n健康診断の結果に基づき、特定保健指導の対象となった方にご案内しております。\n保健師による面談は無料で受けられます。\n\n申し込み期限：7月31日\n詳細は組合のホームページをご覧ください。\n\n健康保険組合' },
  { from: 'fujita@example.ne.jp', name: '藤田 美穂', subject: 'お誕生日おめでとう', utf8: true, text: 'お誕生日おめでとう🎂\n素敵な一年になりますように！\n今度お祝いにランチ行こうね😊\n\n美穂' },
];

function writtenMessages(list: Written[], label: 'spam' | 'ham', prefix: string): LabelledMessage[] {
  return list.map((w, i) => {
    const charset = w.utf8 ? 'UTF-8' : JP_CHARSETS[i % JP_CHARSETS.length];
    const spec: MailSpec = {
      id: `${prefix}-${String(i).padStart(3, '0')}`,
      from: w.from,
      fromName: w.name,
      subject: w.subject,
      text: w.text,
      html: w.html,
      charset,
      transfer: (['8bit', 'base64', 'quoted-printable'] as const)[i % 3],
      headers: w.headers,
      date: `Wed, ${String(1 + (i % 28)).padStart(2, '0')} May 2025 ${String(8 + (i % 10)).padStart(2, '0')}:15:00 +0900`,
    };
    return { id: spec.id, group: 'japanese-written', label, raw: buildMail(spec) };
  });
}

/** The written test set: every message in turn in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8. */
export function japaneseWritten(): LabelledMessage[] {
  return [...writtenMessages(SPAM, 'spam', 'jw-spam'), ...writtenMessages(HAM, 'ham', 'jw-ham')];
}

export const WRITTEN_COUNTS = { spam: SPAM.length, ham: HAM.length };

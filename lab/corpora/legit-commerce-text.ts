// The wording of legit-commerce.ts: what shops, services and organisers write in the mail people asked for or
// need (issue 18, spam13). Written for the lab from general knowledge of such mail; no judged-half file was read.
// Each kind has subjects and paragraph pools; `{…}` fields are filled per message by the builder.
export type CommerceKind = 'order' | 'shipping' | 'receipt' | 'reset' | 'signin' | 'verify' | 'renewal' | 'sale' | 'promo' | 'event' | 'digest' | 'survey' | 'ezine';

export interface KindText {
  subjects: string[];
  headings: string[];
  /** Paragraphs, some of which each message takes (the first `keep` always, in order). */
  paras: string[];
  keep: number;
  cta: string[];
  /** Service mail (sent whatever the reader's marketing choice); marketing mail otherwise. */
  service: boolean;
}

export const TEXT: Record<CommerceKind, KindText> = {
  order: {
    subjects: ['Your {shop} order #{order}', 'Order confirmation - {order}', 'Thanks for shopping with {shop}!', 'We received your order', '{shop}: order {order} confirmed', 'Your order of {item} has been placed'],
    headings: ['Thank you for your order', 'Order confirmation', 'Thanks, {first}!'],
    paras: [
      '{greet}', 'Thank you for shopping with us. Your order #{order} has been received and is being processed.', 'Order placed: {date}',
      'We will send you a shipping confirmation with a tracking number as soon as your order leaves our warehouse.', 'Subtotal: ${sub}  Shipping: {shipcost}  Tax: ${tax}  Order total: ${total}',
      'Payment method: {card} ending in {last4}. Your card will be charged when the order ships.', 'Billing address and payment information can be reviewed in Your Account.',
      'Need to make a change? Orders can be cancelled within 30 minutes of purchase from the order page.', 'Free shipping was applied to this order.', 'Questions? Call customer service at 1-800-555-{phone}, 7 days a week.',
      'Items ordered from our marketplace sellers ship separately.', 'Return policy: unopened items may be returned within 30 days for a full refund.'],
    keep: 3, cta: ['View or manage your order', 'Order details', 'Check order status'], service: true,
  },
  shipping: {
    subjects: ['Your {shop} order has shipped!', 'Shipped: {item} and more', 'Your package is on its way', 'Out for delivery today', 'Delivery update for order #{order}', 'Your order will arrive {day}'],
    headings: ['Your order is on its way', 'Shipment confirmation', 'Good news - it shipped!'],
    paras: [
      '{greet}', 'Your order #{order} shipped on {date} via {carrier}.', 'Tracking number: {tracking}',
      'Estimated delivery: {day}. Tracking information may take up to 24 hours to appear on the carrier\'s site.', 'If you are not home, the carrier will leave a notice with instructions for pickup.',
      'Part of your order is still being prepared and will ship separately at no extra cost.', 'Track your package at any time from Your Orders.', 'Signature may be required for deliveries over $500.'],
    keep: 3, cta: ['Track package', 'Track your shipment', 'See delivery details'], service: true,
  },
  receipt: {
    subjects: ['Your receipt from {shop}', 'Receipt for your payment of ${total}', 'Payment received - thank you', 'Your {shop} invoice {order}', 'Your monthly bill is ready', 'Your e-receipt'],
    headings: ['Receipt', 'Payment confirmation', 'Your invoice'],
    paras: [
      '{greet}', 'We received your payment of ${total} on {date}. Thank you!', 'Invoice number: {order}',
      'Paid with {card} ending in {last4}.', 'This charge will appear on your statement as {shopcaps}.', 'You can download a PDF copy of this invoice from your billing page.',
      'To update your billing information or payment method, log in to your account and go to Billing.', 'If you have questions about this charge, reply to this email and our billing team will help.',
      'Keep this receipt for your records.', 'Your next payment of ${total} will be charged on {day}.'],
    keep: 3, cta: ['View invoice', 'View receipt', 'Manage billing'], service: true,
  },
  reset: {
    subjects: ['Reset your {shop} password', 'Password reset request', '{shop} password assistance', 'Your password reset link', 'Instructions to reset your password'],
    headings: ['Reset your password', 'Password assistance', 'Forgot your password?'],
    paras: [
      '{greet}', 'We received a request to reset the password for the {shop} account associated with {to}.', 'Click the link below to choose a new password:',
      'This link will expire within 24 hours and can be used only once.', 'If you did not request a password reset, you can safely ignore this email. Your password will not change.',
      'For your security, {shop} will never ask for your password by email or phone.', 'Having trouble? Visit our help center or contact support.'],
    keep: 4, cta: ['Reset password', 'Choose a new password'], service: true,
  },
  signin: {
    subjects: ['New sign-in to your {shop} account', 'Security alert: new device', 'Was this you?', 'A new device signed in to your account', 'Your {shop} account: sign-in from a new location'],
    headings: ['New sign-in detected', 'Security notice', 'Was this you?'],
    paras: [
      '{greet}', 'Your {shop} account was just signed in to from a new device.', 'Device: {device}  Location: {city} (approximate)  Time: {date}',
      'If this was you, there is nothing you need to do.', 'If you don\'t recognize this activity, please change your password and review your recent activity. We noticed this sign-in because it came from a device you have not used before.',
      'You can review the devices signed in to your account in your security settings at any time.', 'We will never ask you for your password or verification codes by email.'],
    keep: 4, cta: ['Review activity', 'Check security settings'], service: true,
  },
  verify: {
    subjects: ['Please confirm your email address', 'Welcome to {shop} - confirm your subscription', 'Verify your email to finish signing up', 'One more step: confirm your email', 'Welcome to {shop}!'],
    headings: ['Confirm your email address', 'Welcome aboard', 'Almost done'],
    paras: [
      '{greet}', 'Thanks for signing up for {shop}. Please confirm that {to} is your email address by clicking the button below.', 'If you did not create an account, you can ignore this message and no account will be created.',
      'The confirmation link is valid for 48 hours.', 'Once confirmed, you can log in to your account and set up your profile and preferences.', 'Welcome gift: new members get free shipping on their first order.',
      'Tip: add {fromaddr} to your address book so our emails reach your inbox.'],
    keep: 3, cta: ['Confirm email address', 'Verify my email', 'Activate account'], service: true,
  },
  renewal: {
    subjects: ['Your subscription renews soon', 'Your {shop} membership expires in 7 days', 'Action required: update your payment method', 'Your free trial ends {day}', 'Renewal reminder', 'Your annual plan has been renewed'],
    headings: ['Renewal reminder', 'Your plan', 'Membership update'],
    paras: [
      '{greet}', 'Your {plan} plan will renew automatically on {day} for ${total}.', 'No action is needed if you wish to continue.',
      'The card we have on file ({card} ending in {last4}) expires soon. To avoid an interruption, please update your payment information.', 'Your free trial ends on {day}. After that you will be billed ${total} per month unless you cancel.',
      'You can cancel at any time from your account settings; you will keep access until the end of the billing period.', 'Members save 15% with an annual plan.', 'Questions about your bill? Our support team is available 24 hours a day.'],
    keep: 2, cta: ['Manage subscription', 'Update payment method', 'Review your plan'], service: true,
  },
  sale: {
    subjects: ['{pct}% OFF EVERYTHING - THIS WEEKEND ONLY', 'Free shipping + {pct}% off - today only!', 'Hurry, sale ends tonight!', 'Last chance: save up to {pct}%', 'Our lowest prices of the season', '{first}, your exclusive offer is inside', 'Buy one, get one FREE!!', 'Special offer for our best customers', 'Don\'t miss out: {item} from ${price}', 'FREE gift with every order', 'Limited time: ${price} {item}', 'Price drop alert: {item}'],
    headings: ['The Big Sale', 'Save up to {pct}%', 'Special offer', 'Members-only savings', 'Limited time only'],
    paras: [
      'Save up to {pct}% on {cat} and more. Limited time only!', 'Free shipping on all orders over $49 - no coupon needed.', 'Order now while supplies last. Quantities are limited.',
      'Use code {code} at checkout to get an extra {pct2}% off.', 'Special offer: buy one, get one 50% off on all {cat}.', 'Free gift with purchase: a {gift} with any order of $75 or more.',
      'Our lowest prices of the year, guaranteed. Found it for less? We\'ll match it.', 'Satisfaction guaranteed or your money back - returns are always free.', 'Hurry! This offer expires Sunday at midnight.',
      'Exclusive offer for members: double reward points on every purchase.', 'Shop the best deals on top brands: {item}, {item2} and more.', 'New customers: get $10 off your first order when you sign up.',
      'Don\'t miss out - last year this sale sold out in two days.', 'Amazing deals on {cat}, today only.', 'Order today and get it by Friday with free 2-day shipping.', 'Prices valid while supplies last. Not valid on prior purchases.'],
    keep: 0, cta: ['Shop now', 'Shop the sale', 'Buy now', 'Get the deal', 'See all deals'], service: false,
  },
  promo: {
    subjects: ['Introducing the new {item}', 'Just arrived: {cat}', 'New for {season}', 'Picked for you, {first}', 'This week\'s top picks', 'Back in stock: {item}'],
    headings: ['New arrivals', 'Just for you', 'Now available', 'Back in stock'],
    paras: [
      'Discover our latest {cat}, designed for the way you live.', 'Now available in five new colors.', 'Rated 4.8 out of 5 by our customers.', 'Free returns within 60 days.',
      'Members get early access and free shipping.', 'Available online and in stores.', 'See what\'s new this {season}.', 'Customers who bought {item} also liked {item2}.', 'Order now for delivery before the holidays.',
      'Financing available: 0% APR for 12 months on purchases over $299 with the store card.'],
    keep: 0, cta: ['Shop new arrivals', 'Learn more', 'See the collection', 'Discover more'], service: false,
  },
  event: {
    subjects: ['You\'re invited: {event}', 'Join us for {event} on {day}', 'Register now: {event}', 'Webinar: {topic}', 'Reminder: {event} starts tomorrow', 'Early-bird pricing ends Friday', 'RSVP: {event}'],
    headings: ['You\'re invited', 'Save the date', 'Join us live', 'Reserve your spot'],
    paras: [
      'Join us on {day} for {event}, a {len} evening of talks, demos and conversation.', 'Where: {venue}, {city}. When: {day}, 6:00 pm to 9:00 pm.', 'This free webinar covers {topic}; a recording will be sent to all registrants.',
      'Space is limited, so register today to reserve your seat.', 'Early-bird tickets are ${price} until the end of the month.', 'Customers and their guests attend free of charge.', 'Please RSVP by {day} so we can plan refreshments.',
      'Can\'t make it? Register anyway and we\'ll send you the slides.', 'Add this event to your calendar using the attached invitation.', 'Speakers include product managers and engineers from our team.'],
    keep: 2, cta: ['Register now', 'RSVP', 'Reserve my seat', 'Get tickets'], service: false,
  },
  digest: {
    subjects: ['{shop} Weekly: {topic}', 'The {shop} newsletter - {month} edition', 'Top deals and news this week', 'Your {month} update from {shop}', '{shop} Insider #{num}'],
    headings: ['This week', 'In this issue', 'Top stories and deals'],
    paras: [
      'In this issue: {topic}, reader favorites, and this week\'s best prices.', 'Deal of the week: {item} for ${price} (regularly ${price2}).', 'How-to: getting the most out of your {item}.', 'From the blog: ten ideas for {season} weekends.',
      'Customer spotlight: how one family saved on their {cat} budget.', 'Free shipping on everything this week for newsletter subscribers.', 'Coming soon: our annual clearance event.', 'Tell us what you think - reply to this email with your suggestions.',
      'Contest: share a photo for a chance to win a ${price} gift card. No purchase necessary.'],
    keep: 0, cta: ['Read more', 'See this week\'s deals', 'Visit the blog'], service: false,
  },
  ezine: { subjects: [], headings: [], paras: [], keep: 0, cta: ['Read the archive'], service: false },
  survey: {
    subjects: ['How did we do?', 'Tell us about your recent order', 'Rate your experience with {shop}', 'Quick question about your purchase', 'Review your {item}'],
    headings: ['We value your feedback', 'How was your order?', 'Share your opinion'],
    paras: [
      '{greet}', 'Thank you for your recent purchase of {item}. How would you rate your experience?', 'The survey takes about two minutes to complete.',
      'Your answers help us improve our products and service.', 'As a thank-you, you will be entered in our monthly drawing for a ${price} gift card. No purchase necessary; see official rules.', 'Your review will be posted with your first name only.'],
    keep: 3, cta: ['Take the survey', 'Write a review', 'Rate now'], service: false,
  },
};

/** A 2002-style plain-text e-zine: sponsor blurbs between the articles, subscription managed by mail commands. */
export const EZINE = {
  subjects: ['{shop} Tips & News - Issue #{num}', '[{shop}] Weekly Bulletin, {month} {year}', '{shop} E-News: {topic}', 'The {shop} Insider - {month} edition'],
  articles: ['FEATURE: {topic}. Our editors tested six approaches so you don\'t have to; here is what worked and what did not.',
    'READER Q&A: "How do I keep my {item} working like new?" Clean it monthly, keep the firmware current, and store it dry.',
    'NEW THIS MONTH: the {item} is back in stock, and the {item2} arrives in stores on {day}.', 'TIP OF THE WEEK: back up your address book before you change mail programs.',
    'STORE NEWS: our {city} store has moved two blocks north; opening hours are unchanged.', 'EVENTS: {event} on {day}. Members get in free; details on the web site.',
    'FROM THE MAILBAG: thank you for the hundreds of replies to last issue\'s survey. Results next week.', 'DEAL CORNER: {item} now ${price} (was ${price2}). Limited time, while supplies last.'],
  sponsors: ['*** SPONSOR ***\nTry {sponsor} free for 30 days - no obligation, cancel any time. Click here: {sponsorurl}',
    '--- A WORD FROM OUR SPONSOR ---\n{sponsor}: special offer for {shop} readers, save up to {pct}%. Order now at {sponsorurl}',
    '[ad] {sponsor} - money back guarantee on every order. Visit {sponsorurl}'],
  sponsorNames: ['WebHost Plus', 'PhotoPrint Online', 'BackupBox', 'TypeFast Tutor', 'GreenLeaf Tea Co.', 'Domain Depot'],
  footers: ['To unsubscribe from this newsletter, reply to this message with REMOVE in the subject line, or send a blank message to leave-{num}@lists.{domain}.',
    'You are receiving this e-zine because you subscribed at {domain}. To change your address or be removed from this list, visit http://www.{domain}/ezine.',
    'To subscribe, send a blank message to join-ezine@lists.{domain}. Please forward this issue to a friend!',
    'Copyright (c) {year} {shop}. Permission to reprint with credit.'],
};

export const ITEMS = ['Wireless Mouse', 'Running Jacket', 'Coffee Grinder', 'Bluetooth Speaker', 'Yoga Mat', 'Stand Mixer', 'Hiking Boots', 'Noise-Cancelling Headphones', 'Laptop Sleeve', 'LED Desk Lamp', 'Cordless Drill', 'Air Fryer', 'Duvet Cover Set', 'Smart Watch', 'Travel Mug', 'Garden Hose Reel', 'Printer Ink Value Pack', 'Kids\' Rain Boots', 'Board Game Collection', 'Electric Toothbrush', 'Paperback Bestseller', 'Vinyl Record', 'Dog Bed', 'Espresso Beans (1 lb)'];
export const CATEGORIES = ['outerwear', 'kitchen essentials', 'home decor', 'electronics', 'shoes', 'kids\' clothing', 'outdoor gear', 'books', 'beauty', 'tools', 'pet supplies', 'bedding'];
export const FIRSTS = ['Anna', 'Brian', 'Carmen', 'David', 'Emily', 'Frank', 'Grace', 'Hiro', 'Isabel', 'Jack', 'Karen', 'Luis', 'Maya', 'Nick', 'Olivia', 'Paul', 'Rachel', 'Steve', 'Tina', 'Victor'];
export const GREETS = ['Hi {first},', 'Hello {first},', 'Dear {first} {last},', 'Dear Customer,', 'Dear Member,', 'Hi there,', 'Dear Valued Customer,', '{first},', 'Hello,'];
export const LASTS = ['Miller', 'Nguyen', 'Okafor', 'Schmidt', 'Tanaka', 'Rossi', 'Walsh', 'Patel', 'Cohen', 'Larsen'];
export const EVENTS = ['our Spring Open House', 'the Customer Appreciation Night', 'the Annual Partner Summit', 'Product Launch Live', 'the Holiday Craft Fair', 'the Developer Day', 'a Wine Tasting Evening', 'the Back-to-School Night'];
export const TOPICS = ['securing your small-business network', 'budget travel tips', 'what\'s new in our mobile app', 'planning a kitchen remodel', 'smarter home energy use', 'cloud backups made simple', 'seasonal recipes'];
export const SEASONS = ['spring', 'summer', 'fall', 'winter', 'holiday season'];
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const CARDS = ['Visa', 'MasterCard', 'American Express', 'Discover'];
export const CARRIERS = ['UPS Ground', 'FedEx Home Delivery', 'USPS Priority Mail', 'DHL Express', 'OnTrac'];
export const DEVICES = ['Chrome on Windows', 'Safari on iPhone', 'Firefox on Linux', 'the mobile app on Android', 'Edge on Windows'];
export const CITIES = ['Portland, OR', 'Austin, TX', 'Columbus, OH', 'Raleigh, NC', 'Sacramento, CA', 'Boise, ID', 'Madison, WI', 'Richmond, VA', 'Tucson, AZ', 'Omaha, NE'];
export const VENUES = ['our flagship store', 'the Grand Ballroom', 'the Riverside Conference Center', 'our downtown office', 'the Community Hall'];
export const GIFTS = ['tote bag', 'travel kit', 'water bottle', 'sample set', 'umbrella'];
export const PLANS = ['Premium', 'Family', 'Pro', 'Basic', 'Plus'];

/** Marketing footers (the sender's own unsubscribe and address); `{unsub}` is its link. */
export const FOOTERS = [
  'You are receiving this email because you signed up for {shop} emails at {domain}. To unsubscribe, click here: {unsub}',
  'Don\'t want these emails? Unsubscribe at {unsub} or update your email preferences in your account.',
  'This message was sent to {to} by {shop}, {street}.',
  'If you no longer wish to receive promotional emails from us, you can opt out at any time: {unsub}',
  '*Offer valid through {day}. Free shipping applies to standard delivery in the contiguous U.S. Exclusions apply; see site for details.',
  'Prices and availability are subject to change. (c) {year} {shop}. All rights reserved.',
  'Please add {fromaddr} to your address book to keep receiving our emails.',
  'Privacy policy: http://www.{domain}/privacy  |  Help: http://www.{domain}/help',
  'To stop receiving these messages, reply with "unsubscribe" or visit {unsub}.',
];
/** Service-mail footers. */
export const SERVICE_FOOTERS = [
  'This is an automated message about your account; please do not reply. For help, visit http://www.{domain}/help.',
  'You received this service email because you have an account with {shop}. (c) {year} {shop}, {street}.',
  'Privacy policy: http://www.{domain}/privacy',
  '{shop} will never ask you to provide your password, PIN or full card number by email.',
  'Questions? Contact us at support@{domain}.',
];

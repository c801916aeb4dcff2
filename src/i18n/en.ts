/** English (en-CA) strings of every public page and the receipt. fr.ts has the same keys. */
import type { CardMessages } from "../domain/card.ts";

export interface ContactDetails {
  email: string | null;
  phone: string | null;
  url: string | null;
}

export type Language = "en" | "fr";

export const en = {
  language: "en" as Language,
  htmlLang: "en-CA",
  layout: {
    skipLink: "Skip to main content",
    pay: "Pay",
    government: "Government of British Columbia",
    footer: "Secure card payment for Government of British Columbia services",
    switchLabel: "Lire cette page en français",
    switchText: "Français",
    switchLanguage: "fr" as Language,
    errorPrefix: "Error: ",
    errorHidden: "Error:",
    problem: "There is a problem",
    logoAlt: (partner: string) => `${partner} logo`,
  },
  card: {
    title: "Enter card details",
    summaryTitle: "Payment summary",
    payingTo: "Paying",
    for: "For",
    total: "Total amount",
    amountSuffix: " CAD",
    acceptedTitle: "Cards we accept",
    acceptedDebit: "Visa Debit only",
    cardNumber: "Card number",
    cardNumberHintCredit: "Visa, Mastercard, American Express or Discover. The long number on the front of your card.",
    cardNumberHintDebit: "Visa Debit only. The long number on the front of your card.",
    expiry: "Expiry date",
    expiryHint: "For example, 04 28",
    expiryMonth: "Expiry month",
    expiryYear: "Expiry year",
    name: "Name on card",
    nameHint: "As it appears on the card",
    securityCode: "Security code",
    securityCodeHint: "The last 3 digits on the back of the card. American Express: 4 digits on the front.",
    email: "Email address for your receipt (optional)",
    emailHint: "We send your receipt to this address, then delete the address.",
    emailInvalid: "Enter an email address in the correct format, like name@example.com",
    payButton: (amount: string) => `Pay ${amount}`,
    paying: "Paying...",
    cancelLead: "If you cancel, no money will be taken from your account.",
    cancelButton: "Cancel payment",
    failedNotice: "Your payment could not be processed and no money has been taken. Check your card details and try again.",
    declinedNotice: "Your card was declined. Try another card, or check the details with your bank.",
    privacyTitle: "How we use your information",
    privacyDefault: (partner: string) =>
      `Your card details are sent securely to our payment processor to take this payment for ${partner}; this service does not keep them. If you give an email address, it is used only to send your receipt and is deleted once the receipt is sent. This information is collected under section 26(c) of the Freedom of Information and Protection of Privacy Act, to process your payment.`,
    privacyContact: (partner: string) => `Questions about the collection of this information: contact ${partner}.`,
    contactTitle: (partner: string) => `Questions about this payment? Contact ${partner}`,
    contactEmail: "Email",
    contactPhone: "Phone",
    contactWebsite: "Website",
  },
  cardErrors: {
    numberRequired: "Enter your card number",
    numberInvalid: "Enter a valid card number",
    numberLength: "Card number is not the correct length",
    notAccepted: "This card type is not accepted",
    debitVisaOnly: "This card type is not accepted. For debit, use a Visa Debit card",
    expiryMonth: "Enter a valid expiry month, from 1 to 12",
    expiryYear: "Enter a valid expiry year",
    expiryPast: "Enter an expiry date in the future",
    nameRequired: "Enter the name as it appears on the card",
    nameLength: "Name on card must be 45 characters or fewer",
    nameDigits: "Enter the name as it appears on the card, not the card number",
    securityCode: "Enter a valid card security code",
    securityCodeAmex: "Enter a valid card security code: 4 digits on the front of the card",
  } satisfies CardMessages,
  outcome: {
    returnTo: (partner: string) => `Return to ${partner}`,
    continueTo: (partner: string) => `Continue to ${partner}`,
    successTitle: "Your payment was successful",
    successBody: (amount: string, partner: string, description: string) => `You paid ${amount} to ${partner} for ${description}.`,
    noNeedToPay: "You do not need to pay again.",
    referenceIs: "Your payment reference is",
    receiptSent: "We are sending a receipt to the email address you gave.",
    viewReceipt: "View and print your receipt",
    waitingTitle: "Checking your card details",
    waitingBody:
      "Your payment is being processed. This usually takes less than 30 seconds. This page will move on by itself when it is done: do not pay again.",
    checkAgain: "Check again",
    inProgressTitle: "Your payment is in progress",
    inProgressBody: [
      "We are already processing a payment for this. Do not pay again.",
      "This usually takes less than 30 seconds. This page will update by itself when the outcome is known.",
    ],
    supersededTitle: "This payment was started again",
    supersededBody: [
      "You started this payment again from the service, in this or another window. No money has been taken through this page.",
      "Use the newest payment page, or go back to the service to start again.",
    ],
    declinedTitle: "Your payment was declined",
    declinedBody: (partner: string) => [
      "No money has been taken from your account.",
      `Return to ${partner} to try again or to choose another way to pay.`,
    ],
    declinedRetryBody: (remaining: number) => [
      "Your bank did not accept this payment. No money has been taken from your account.",
      remaining === 1
        ? "You can try another card. You have 1 more try before this payment is stopped."
        : `You can try another card. You have ${remaining} more tries before this payment is stopped.`,
    ],
    tryAnotherCard: "Try another card",
    cancelledTitle: "Your payment has been cancelled",
    cancelledBody: ["No money has been taken from your account."],
    expiredTitle: "Your payment session has expired",
    expiredBody: (partner: string) => [
      "You did not finish paying in time, so this payment has been stopped. No money has been taken from your account.",
      `Return to ${partner} to start again.`,
    ],
    lockedTitle: "We could not take your payment",
    lockedBody: (partner: string) => [
      "Your card was declined too many times, so we have stopped this payment to protect you. No money has been taken from your account.",
      `Return to ${partner}, check your card details with your bank, and try again later.`,
    ],
    tooManyTitle: "Too many payment attempts",
    tooManyBody: [
      "There have been too many payment attempts from your connection in a short time. Your card details were not sent for payment.",
      "Wait a minute, then go back and try again.",
    ],
  },
  session: {
    theService: "the service you were using",
    paidTitle: "This payment has been made",
    paidLead: (service: string) => `You do not need to pay again. Return to ${service} to see your payment.`,
    inProgressTitle: "Your payment is being processed",
    inProgressLead: (service: string) => `Do not pay again. Return to ${service} later to see whether your payment went through.`,
    expiredTitle: "Your payment session has expired",
    expiredLead: (service: string) =>
      `For your security, a payment page works only in the browser that opened it, and only for a limited time. Return to ${service} to check your payment or to start again.`,
    notFoundTitle: "We cannot find this payment",
    notFoundLead: "Check that the address is complete, or return to the service you were using.",
    csrfTitle: "Sorry, we could not accept that form",
    csrfProblem: "The form had expired or did not come from this page. Go back to the payment page and try again.",
  },
  request: {
    startTitle: "We could not start your payment",
    inProgressTitle: "Your payment is already in progress",
    noPaymentStarted: "No payment was started from this request.",
    serviceProblem: "The service that sent you here made a request we could not accept.",
    goBack: "Go back to the service you were using and try again. If this keeps happening, contact that service.",
    reasons: {
      "not-verified": "We could not confirm that the payment request came from the service.",
      "unknown-service": "We do not take payments for the service that sent you here.",
      "return-address": "The service's return address is not one we can send you back to.",
      "in-progress": "A payment for this is already being processed. Do not pay again: return to the service to see its status.",
      "registration-changed":
        "The service's registration changed while your payment was being started. No payment was started: return to the service and try again.",
    },
    pageNotFound: "Page not found",
    badRequest: "Sorry, we could not read that request",
    formUnreadable: "Sorry, we could not read that form",
  },
  unavailable: {
    title: "Sorry, the service is unavailable",
    body: [
      "Something went wrong on our side. Try again later.",
      "If you were paying, do not pay again before you have checked with the service you were using.",
    ],
  },
  uncertain: {
    title: "We could not confirm your payment",
    body: "Something went wrong on our side while your payment was being processed. Do not pay again.",
    checkBefore: "In a few minutes, ",
    checkLink: "check the status of your payment",
    checkAfter: ": it will show whether your payment was taken.",
  },
  receipt: {
    title: "Payment receipt",
    subject: (partner: string) => `Your payment receipt: ${partner}`,
    intro: "Thank you for your payment. Keep this receipt for your records.",
    paidTo: "Paid to",
    for: "For",
    amount: "Amount",
    date: "Date and time",
    reference: "Payment reference",
    transaction: "Transaction number",
    card: "Card",
    cardValue: (brand: string, lastFour: string) => `${brand} ending ${lastFour}`,
    authCode: "Authorisation code",
    contact: "Contact",
    print: "Print this receipt",
    back: "Back",
    emailFooter:
      "This email was sent because an address was given for a receipt when paying. Do not reply to it: contact the service you paid with any questions.",
    notPaidTitle: "There is no receipt for this payment",
    notPaidLead: "A receipt is available once a payment has been made.",
  },
  brands: { VI: "Visa", MC: "Mastercard", AM: "American Express", DI: "Discover", PV: "Visa Debit" } as Record<string, string>,
  /** Money: "$1,234.50" (en-CA). */
  money: (whole: string, fraction: string) => `$${whole.replace(/\B(?=(\d{3})+$)/g, ",")}.${fraction}`,
  locale: "en-CA",
};

export type Catalogue = typeof en;

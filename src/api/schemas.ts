/** Zod schemas of the partner web service: they validate requests and generate the OpenAPI document. */
import { z } from "@hono/zod-openapi";

export const OAuthError = z
  .object({
    error: z.enum(["invalid_request", "invalid_client", "unsupported_grant_type", "invalid_grant", "slow_down"]),
    error_description: z.string(),
    message: z.string().openapi({ description: "The same text as error_description: the web service's error envelope" }),
  })
  .openapi("OAuthError", {
    description: "RFC 6749 section 5.2 error, carrying the web service's error envelope (error, message) too.",
    example: {
      error: "invalid_client",
      error_description: "Client authentication failed",
      message: "Client authentication failed",
    },
  });

export const TokenRequestBody = z
  .object({
    grant_type: z.string().optional().openapi({ example: "client_credentials" }),
    client_id: z.string().optional().openapi({ description: "Only when not using HTTP Basic authentication" }),
    client_secret: z.string().optional().openapi({ description: "Only when not using HTTP Basic authentication" }),
  })
  .openapi("TokenRequest");

export const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int().openapi({ description: "Seconds; at least 1800" }),
  })
  .openapi("TokenResponse", { example: { access_token: "pbc1.eyJzdWIiOi...", token_type: "bearer", expires_in: 3600 } });

/** The one error envelope of the web service: a code, a sentence for people, per-field messages when a request is invalid. */
export const ApiError = z
  .object({
    error: z
      .string()
      .openapi({ description: "A stable code: not_found, invalid_token, conflict, payload_too_large, validation_failed, ..." }),
    message: z.string(),
    fields: z
      .record(z.string(), z.string())
      .optional()
      .openapi({ description: "Only with validation_failed: a message per field" }),
  })
  .openapi("Error", { example: { error: "not_found", message: "No payment with this pbcRefNumber and pbcTxnNumber" } });

export const ValidationError = z
  .object({ error: z.literal("validation_failed"), message: z.string(), fields: z.record(z.string(), z.string()) })
  .openapi("ValidationError", {
    example: {
      error: "validation_failed",
      message: "The revenue lines are not valid",
      fields: {
        "revenue[0].revenueAccount":
          "Revenue account must be in XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX format (letters and digits)",
      },
    },
  });

const paymentStatus = z.enum(["PNDNG", "PAID", "CMPLT"]).openapi({
  description:
    "PNDNG: no payment made. PAID: payment received. CMPLT: payment received and every revenue line accepted by the ledger.",
});
const glStatus = z.enum(["NEW", "IN PROCESS", "REJECT", "PROCESSED"]).openapi({
  description:
    "NEW: created. IN PROCESS: sent to the ledger, awaiting its answer. REJECT: refused by the portal's checks or by the ledger (see glErrorMessage). PROCESSED: accepted by the ledger.",
});
const amount = z.string().regex(/^\d+\.\d{2}$/);
const lastAttemptStatus = z.enum(["APPROVED", "DECLINED", "CANCELLED", "EXPIRED", "LOCKED"]).nullable().openapi({
  description:
    "The outcome of the newest attempt to pay, null when nobody has tried: a declined, cancelled, expired or locked payment stays PNDNG (no payment made) but was tried.",
});
const archivedFlag = z.literal(true).openapi({
  description:
    "Present (true) only when the payment has been archived: finished (CMPLT, every refund posted) and moved from the " +
    "portal's database to its archive after the retention period. The other fields are as they were then; it can no " +
    "longer be refunded or its revenue updated. Absent otherwise.",
});
const archivedTime = z.string().openapi({ description: "When the payment was archived (ISO 8601, UTC); only with archived" });
const lastAttemptTime = z.string().nullable().openapi({ description: "When that attempt ended (ISO 8601, UTC)" });

export const CAMEL_EXAMPLE = {
  pbcRefNumber: "10006",
  pbcTxnNumber: "EZ000101",
  trnDate: "2026-11-23",
  description: "Direct Sale",
  trnAmount: "100.00",
  paymentMethod: "CC",
  currency: "CAD",
  glDate: "2026-11-23",
  paymentStatus: "PAID",
  lastAttemptStatus: "APPROVED",
  lastAttemptTime: "2026-11-23T18:02:11.512Z",
  trnOrderId: "45678",
  paymentAuthCode: "04066N",
  cardType: "VI",
  refundedAmount: 25,
  postedRefundAmount: 0,
  refundSummary: { status: "partial", amountAvailable: "75.00", amountRefunded: "25.00" },
  revenue: [
    {
      lineNumber: "1",
      revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000",
      revenueAmount: "75.00",
      glStatus: "NEW",
      glErrorMessage: null,
      refundGlStatus: null,
      refundGlErrorMessage: null,
      refundData: [],
    },
    {
      lineNumber: "2",
      revenueAccount: "039.18ACE.14692.8928.1800000.000000.0000",
      revenueAmount: "25.00",
      glStatus: "PROCESSED",
      glErrorMessage: null,
      refundGlStatus: "PAID",
      refundGlErrorMessage: null,
      refundData: [
        {
          txnRefundDistributionId: 41,
          revenueAmount: 25,
          refundDate: "2026-11-24",
          refundGlStatus: "PAID",
          refundGlErrorMessage: null,
        },
      ],
    },
  ],
};

const refundGlStatus = z.enum(["PAID", "INPRG", "CMPLT", "RJCT", "DECLINED"]).nullable().openapi({
  description:
    "The line's newest settled refund: PAID refunded by the processor, INPRG GL posting in progress, CMPLT posted to the GL, RJCT rejected by the GL (see the error message), DECLINED refused by the processor. Null: never refunded.",
});
const refundAmount = z.number().openapi({ description: "Dollars as a JSON number (as PayBC's ORDS returns amounts)" });
const refundSummaryStatus = z.enum(["available", "partial", "full", "pending", "unavailable"]).openapi({
  description:
    "available: nothing refunded yet; partial; full; pending: a refund's outcome is not known yet; unavailable: no payment was made, or the payment is archived (it can no longer be refunded through the portal).",
});
const RefundSummaryCamel = z.object({ status: refundSummaryStatus, amountAvailable: amount, amountRefunded: amount });
const RefundSummaryLower = z.object({ status: refundSummaryStatus, amountavailable: amount, amountrefunded: amount });
const RefundDataCamel = z.object({
  txnRefundDistributionId: z.number().int(),
  revenueAmount: refundAmount,
  refundDate: z.string().nullable(),
  refundGlStatus: refundGlStatus.unwrap(),
  refundGlErrorMessage: z.string().nullable(),
});
const RefundDataLower = z.object({
  txn_refund_distribution_id: z.number().int(),
  revenue_amount: refundAmount,
  refund_date: z.string().nullable(),
  refundglstatus: refundGlStatus.unwrap(),
  refundglerrormessage: z.string().nullable(),
});

export const PaymentCamel = z
  .object({
    pbcRefNumber: z.string(),
    pbcTxnNumber: z.string(),
    trnDate: z.string(),
    description: z.string(),
    trnAmount: amount,
    paymentMethod: z.enum(["CC", "VI"]),
    currency: z.literal("CAD"),
    glDate: z.string(),
    paymentStatus,
    lastAttemptStatus,
    lastAttemptTime,
    trnOrderId: z.string().nullable(),
    paymentAuthCode: z.string().nullable(),
    cardType: z.enum(["VI", "MC", "AM", "DI"]).nullable(),
    refundedAmount: refundAmount,
    postedRefundAmount: refundAmount,
    refundSummary: RefundSummaryCamel,
    archived: archivedFlag.optional(),
    archivedAt: archivedTime.optional(),
    revenue: z.array(
      z.object({
        lineNumber: z.string(),
        revenueAccount: z.string(),
        revenueAmount: amount,
        glStatus,
        glErrorMessage: z.string().nullable(),
        refundGlStatus,
        refundGlErrorMessage: z.string().nullable(),
        refundData: z.array(RefundDataCamel),
      }),
    ),
  })
  .strict()
  .openapi("PaymentCamelCase", {
    description: "The payment with the contract's camelCase keys (key style `camel`).",
    example: CAMEL_EXAMPLE,
  });

export const LOWER_EXAMPLE = {
  pbcrefnumber: "10006",
  trnnumber: "EZ000101",
  trndate: "2026-11-23",
  description: "Direct Sale",
  trnamount: "100.00",
  paymentmethod: "CC",
  currency: "CAD",
  gldate: "2026-11-23",
  paymentstatus: "PAID",
  lastattemptstatus: "APPROVED",
  lastattempttime: "2026-11-23T18:02:11.512Z",
  trnorderid: "45678",
  paymentauthcode: "04066N",
  cardtype: "VI",
  refundedamount: 0,
  postedrefundamount: 0,
  refundsummary: { status: "available", amountavailable: "100.00", amountrefunded: "0.00" },
  revenue: [
    {
      linenumber: "1",
      revenueaccount: "039.18ACE.14691.8928.1800000.000000.0000",
      revenueamount: "100.00",
      glstatus: "NEW",
      glerrormessage: null,
      refundglstatus: null,
      refundglerrormessage: null,
      refund_data: [],
    },
  ],
};

export const PaymentLower = z
  .object({
    pbcrefnumber: z.string(),
    trnnumber: z.string(),
    trndate: z.string(),
    description: z.string(),
    trnamount: amount,
    paymentmethod: z.enum(["CC", "VI"]),
    currency: z.literal("CAD"),
    gldate: z.string(),
    paymentstatus: paymentStatus,
    lastattemptstatus: lastAttemptStatus,
    lastattempttime: lastAttemptTime,
    trnorderid: z.string().nullable(),
    paymentauthcode: z.string().nullable(),
    cardtype: z.enum(["VI", "MC", "AM", "DI"]).nullable(),
    refundedamount: refundAmount,
    postedrefundamount: refundAmount,
    refundsummary: RefundSummaryLower,
    archived: archivedFlag.optional(),
    archivedat: archivedTime.optional(),
    revenue: z.array(
      z.object({
        linenumber: z.string(),
        revenueaccount: z.string(),
        revenueamount: amount,
        glstatus: glStatus,
        glerrormessage: z.string().nullable(),
        refundglstatus: refundGlStatus,
        refundglerrormessage: z.string().nullable(),
        refund_data: z.array(RefundDataLower),
      }),
    ),
  })
  .strict()
  .openapi("PaymentLowerCase", {
    description: "The payment with Oracle ORDS-style lower-case keys (key style `lower`, what deployed clients read).",
    example: LOWER_EXAMPLE,
  });

export const Payment = z.union([PaymentLower, PaymentCamel]).openapi("Payment");

export const PaymentPathParams = z.object({
  pbcRefNumber: z
    .string()
    .min(1)
    .max(20)
    .openapi({ param: { name: "pbcRefNumber", in: "path" }, example: "10006" }),
  pbcTxnNumber: z
    .string()
    .min(1)
    .max(50)
    .openapi({ param: { name: "pbcTxnNumber", in: "path" }, example: "EZ000101" }),
});

export const KeyStyleQuery = z.object({
  keys: z
    .enum(["camel", "lower"])
    .optional()
    .openapi({
      param: { name: "keys", in: "query" },
      description: "Key style of the response body for this request; by default the partner's key style set at onboarding.",
    }),
});

const stringOrNumber = z.union([z.string().max(50), z.number()]);

/** Each revenue line key in the contract's camelCase and in the ORDS lower case deployed clients send. */
export const REVENUE_LINE_KEYS = [
  ["lineNumber", "linenumber"],
  ["revenueAccount", "revenueaccount"],
  ["revenueAmount", "revenueamount"],
] as const;

const RevenueUpdateLine = z
  .object({
    lineNumber: stringOrNumber.optional().openapi({ example: "1" }),
    revenueAccount: z.string().max(100).optional().openapi({ example: "039.18ACE.14691.8928.1800000.000000.0000" }),
    revenueAmount: stringOrNumber.optional().openapi({ example: "75.00" }),
    linenumber: stringOrNumber.optional().openapi({ description: "lineNumber, lower-case style" }),
    revenueaccount: z.string().max(100).optional().openapi({ description: "revenueAccount, lower-case style" }),
    revenueamount: stringOrNumber.optional().openapi({ description: "revenueAmount, lower-case style" }),
  })
  .strict()
  // Checked and given to the handler in one shape (camelCase keys, and the style the partner used).
  .transform((line, context) => {
    // One key style per line: the error names the key expected in the style the line uses.
    const lower = REVENUE_LINE_KEYS.some(([, low]) => line[low] !== undefined);
    const camel = REVENUE_LINE_KEYS.some(([cam]) => line[cam] !== undefined);
    if (lower && camel) {
      context.addIssue({
        code: "custom",
        message:
          "Use one key style per line: lineNumber, revenueAccount, revenueAmount or linenumber, revenueaccount, revenueamount",
      });
      return z.NEVER;
    }
    for (const [cam, low] of REVENUE_LINE_KEYS) {
      const expected = lower ? low : cam;
      if (line[expected] === undefined)
        context.addIssue({ code: "custom", path: [expected], message: `Required: expected the key "${expected}"` });
    }
    const lineNumber = lower ? line.linenumber : line.lineNumber;
    const revenueAccount = lower ? line.revenueaccount : line.revenueAccount;
    const revenueAmount = lower ? line.revenueamount : line.revenueAmount;
    if (lineNumber === undefined || revenueAccount === undefined || revenueAmount === undefined) return z.NEVER;
    return { keyStyle: lower ? ("lower" as const) : ("camel" as const), lineNumber, revenueAccount, revenueAmount };
  })
  .openapi({
    description:
      "One revenue line, with camelCase keys (lineNumber, revenueAccount, revenueAmount) or lower-case keys (linenumber, revenueaccount, revenueamount).",
  });

export const RevenueUpdateBody = z
  .object({
    revenue: z.array(RevenueUpdateLine).min(1).max(100),
  })
  .openapi("RevenueUpdate", {
    example: {
      revenue: [
        { lineNumber: "1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: "75.00" },
        { lineNumber: "2", revenueAccount: "039.18ACE.14692.8928.1800000.000000.0000", revenueAmount: "25.00" },
      ],
    },
  });

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date yyyy-MM-dd");

export const PaymentSearchQuery = z.object({
  from: isoDate.optional().openapi({
    param: { name: "from", in: "query" },
    description: "First date, inclusive (transaction date, or the Pacific date paid with by=paid)",
    example: "2026-11-01",
  }),
  to: isoDate
    .optional()
    .openapi({ param: { name: "to", in: "query" }, description: "Last date, inclusive", example: "2026-11-30" }),
  by: z
    .enum(["trnDate", "paid"])
    .optional()
    .openapi({
      param: { name: "by", in: "query" },
      description:
        "trnDate (default): the partner's transaction date; paid: the Pacific date the payment was made (paid payments only)",
    }),
  status: z
    .enum(["PNDNG", "PAID", "CMPLT"])
    .optional()
    .openapi({ param: { name: "status", in: "query" }, description: "Only payments in this status" }),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "must be a whole number from 1 to 200")
    .refine((value) => Number(value) >= 1 && Number(value) <= 200, "must be a whole number from 1 to 200")
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description: "Page size, 1 to 200 (default 50)", example: "50" }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "nextCursor of the previous page (the same from/to/by/status)",
    }),
  keys: KeyStyleQuery.shape.keys,
});

export const PaymentSearchCamel = z
  .object({ payments: z.array(PaymentCamel), nextCursor: z.string().nullable() })
  .openapi("PaymentSearchCamelCase", {
    example: { payments: [CAMEL_EXAMPLE], nextCursor: "WyJ0cm5EYXRlIiwiMjAyNi0xMS0yMyIsNDJd" },
  });
export const PaymentSearchLower = z
  .object({ payments: z.array(PaymentLower), nextcursor: z.string().nullable() })
  .openapi("PaymentSearchLowerCase", {
    example: { payments: [LOWER_EXAMPLE], nextcursor: null },
  });
export const PaymentSearch = z.union([PaymentSearchLower, PaymentSearchCamel]).openapi("PaymentSearch");

/** Zod schemas of the partner web service: they validate requests and generate the OpenAPI document. */
import { z } from "@hono/zod-openapi";

export const OAuthError = z
  .object({
    error: z.enum(["invalid_request", "invalid_client", "unsupported_grant_type", "invalid_grant", "slow_down"]),
    error_description: z.string(),
  })
  .openapi("OAuthError", { example: { error: "invalid_client", error_description: "Client authentication failed" } });

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

export const ApiError = z
  .object({ error: z.string(), message: z.string() })
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

const refundGlStatus = z.enum(["PAID", "INPRG", "CMPLT", "RJCT", "DECLINED"]).nullable().openapi({
  description:
    "The line's newest settled refund: PAID refunded by the processor, INPRG GL posting in progress, CMPLT posted to the GL, RJCT rejected by the GL (see the error message), DECLINED refused by the processor. Null: never refunded.",
});
const refundAmount = z.number().openapi({ description: "Dollars as a JSON number (as PayBC's ORDS returns amounts)" });
const refundSummaryStatus = z.enum(["available", "partial", "full", "pending", "unavailable"]).openapi({
  description:
    "available: nothing refunded yet; partial; full; pending: a refund's outcome is not known yet; unavailable: no payment was made.",
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
    trnOrderId: z.string().nullable(),
    paymentAuthCode: z.string().nullable(),
    cardType: z.enum(["VI", "MC", "AM", "DI"]).nullable(),
    refundedAmount: refundAmount,
    postedRefundAmount: refundAmount,
    refundSummary: RefundSummaryCamel,
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
    example: {
      pbcRefNumber: "10006",
      pbcTxnNumber: "EZ000101",
      trnDate: "2026-11-23",
      description: "Direct Sale",
      trnAmount: "100.00",
      paymentMethod: "CC",
      currency: "CAD",
      glDate: "2026-11-23",
      paymentStatus: "PAID",
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
    },
  });

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
    trnorderid: z.string().nullable(),
    paymentauthcode: z.string().nullable(),
    cardtype: z.enum(["VI", "MC", "AM", "DI"]).nullable(),
    refundedamount: refundAmount,
    postedrefundamount: refundAmount,
    refundsummary: RefundSummaryLower,
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
    example: {
      pbcrefnumber: "10006",
      trnnumber: "EZ000101",
      trndate: "2026-11-23",
      description: "Direct Sale",
      trnamount: "100.00",
      paymentmethod: "CC",
      currency: "CAD",
      gldate: "2026-11-23",
      paymentstatus: "PAID",
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
    },
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

export const RevenueUpdateBody = z
  .object({
    revenue: z
      .array(
        z.object({
          lineNumber: stringOrNumber.openapi({ example: "1" }),
          revenueAccount: z.string().max(100).openapi({ example: "039.18ACE.14691.8928.1800000.000000.0000" }),
          revenueAmount: stringOrNumber.openapi({ example: "75.00" }),
        }),
      )
      .min(1)
      .max(100),
  })
  .openapi("RevenueUpdate", {
    example: {
      revenue: [
        { lineNumber: "1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: "75.00" },
        { lineNumber: "2", revenueAccount: "039.18ACE.14692.8928.1800000.000000.0000", revenueAmount: "25.00" },
      ],
    },
  });

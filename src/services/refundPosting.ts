/**
 * Nightly posting of refunds: per (partner, GL date) a reversal journal (debit each refunded revenue
 * account, credit cash) through the same machinery as payments (services/glPosting.ts and
 * ledgerFiles.ts): one atomic claim (refund lines NEW -> INPRG into a `journal_batches` row of kind
 * `refund`), `ledger_feeder_files` rows of kind `refund` (GA/GI, unique inbox names, the journal as
 * sent) recorded once before any file is written, write-once R2 files (journal CSV, feeder files and
 * triggers, a detail CSV with refunds as negative amounts, manifest last), and a CLAIMED batch
 * finished by the next run. Lines stay INPRG until the ledger's feedback: CMPLT or RJCT
 * (services/ledgerFeedback.ts). It runs after the payments' posting, and a refund line is due only
 * once its revenue line is PROCESSED (accepted by the ledger): the ledger never sees a refund first.
 */
import { runBatch } from "../db/batch.ts";
import {
  createBatchIfWorkQuery,
  findBatch,
  type JournalBatch,
  listClaimedBatches,
  markPostedQuery,
  newestRefundBatchId,
} from "../db/journalBatches.ts";
import { recordRefundClaimEventsQuery } from "../db/paymentEvents.ts";
import {
  assignRefundFeederFileQuery,
  claimRefundLinesQuery,
  postableRefundLinesExist,
  refundBatchAccountTotals,
  refundBatchDetailPage,
  refundDueGroups,
} from "../db/refunds.ts";
import type { Journal } from "../domain/journal.ts";
import { formatCents } from "../domain/money.ts";
import { renderRefundDetailHeader, renderRefundDetailRow } from "../domain/refundCsv.ts";
import { buildReversalJournal } from "../domain/refundJournal.ts";
import {
  Budget,
  cardBrandName,
  type FeederFileKind,
  type GlPostingDeps,
  lastDueGlDate,
  postedTotals,
  putOnce,
  writeJournalFiles,
} from "./glPosting.ts";

export interface RefundPostingReport {
  lastDueGlDate: string;
  batchesPosted: Array<{
    id: number;
    pbcRefNumber: string;
    glDate: string;
    sequence: number;
    lines: number;
    totalCents: number;
    feederFiles: string[];
  }>;
  queries: number;
}

/** Refund lines per detail page. Refunds are far fewer than payments; the page bounds memory all the same. */
const DETAIL_PAGE = 2_000;

export async function runRefundPosting(deps: GlPostingDeps): Promise<RefundPostingReport> {
  const budget = new Budget();
  const report: RefundPostingReport = { lastDueGlDate: lastDueGlDate(deps.now), batchesPosted: [], queries: 0 };
  budget.spend();
  for (const batch of await listClaimedBatches(deps.db, 20, "refund")) {
    if (budget.exhausted) break;
    await postRefundBatch(deps, batch, budget, report);
  }
  while (!budget.exhausted) {
    budget.spend();
    const groups = await refundDueGroups(deps.db, report.lastDueGlDate, 20);
    if (groups.length === 0) break;
    let claimed = 0;
    for (const group of groups) {
      if (budget.exhausted) break;
      const batch = await claimRefundGroup(deps, group.pbcRefNumber, group.glDate, budget);
      if (!batch) continue;
      claimed++;
      await postRefundBatch(deps, batch, budget, report);
    }
    if (claimed === 0) break; // another run took them
  }
  report.queries = budget.used;
  deps.log.info("refund posting finished", { ...report, batchesPosted: report.batchesPosted.length });
  return report;
}

async function claimRefundGroup(deps: GlPostingDeps, pbcRefNumber: string, glDate: string, budget: Budget) {
  budget.spend(3);
  const results = await runBatch(deps.db, [
    createBatchIfWorkQuery(pbcRefNumber, glDate, postableRefundLinesExist(pbcRefNumber, glDate), deps.now, "refund"),
    claimRefundLinesQuery(pbcRefNumber, glDate, newestRefundBatchId(pbcRefNumber, glDate)),
    recordRefundClaimEventsQuery(newestRefundBatchId(pbcRefNumber, glDate), deps.now),
  ]);
  const created = results[0]?.results[0] as { id: number } | undefined;
  if (!created) return null;
  budget.spend();
  const batch = await findBatch(deps.db, created.id);
  if (batch) await deps.afterStep?.("claimed", batch.id);
  return batch ?? null;
}

/** Refund reversal journals' feeder files: refunded amounts debited per account, the cash account credited. */
const REFUND_FEEDER_FILES: FeederFileKind = {
  journalKind: "refund",
  accountTotals: refundBatchAccountTotals,
  build: ({ credits, ...rest }) => buildReversalJournal({ ...rest, debits: credits }),
  assignLines: assignRefundFeederFileQuery,
};

async function postRefundBatch(deps: GlPostingDeps, batch: JournalBatch, budget: Budget, report: RefundPostingReport) {
  const { db, bucket } = deps;
  const written = await writeJournalFiles(deps, batch, budget, REFUND_FEEDER_FILES);
  if (!written) return;
  const { partner, feederFiles, journals, prefix, files } = written;

  let detail = renderRefundDetailHeader();
  let after = 0;
  for (;;) {
    budget.spend();
    const rows = await refundBatchDetailPage(db, batch.id, after, DETAIL_PAGE);
    for (const row of rows)
      detail += renderRefundDetailRow(batch.glDate, batch.pbcRefNumber, { ...row, cardBrand: cardBrandName(row.cardType) });
    const last = rows[rows.length - 1];
    if (!last || rows.length < DETAIL_PAGE) break;
    after = last.id;
  }
  files["detail.csv"] = await putOnce(bucket, `${prefix}detail.csv`, detail, "text/csv; charset=utf-8");
  await deps.afterStep?.("detail.csv", batch.id);

  const totals = postedTotals(journals, files);
  const lineCount = totals.lineCount;
  const manifest = {
    kind: "refund",
    batchId: batch.id,
    pbcRefNumber: batch.pbcRefNumber,
    partnerName: partner.name,
    glDate: batch.glDate,
    sequence: batch.sequence,
    refundLineCount: lineCount,
    journalLineCount: journals.reduce((total, journal) => total + journal.lines.length, 0),
    accountCount: totals.accountCount,
    debitTotal: formatCents(totals.debitTotalCents),
    creditTotal: formatCents(totals.creditTotalCents),
    createdAt: batch.claimedAt,
    ledgerFiles: feederFiles.map((file, index) => {
      const journal = journals[index] as Journal;
      return {
        fileName: file.fileName,
        batchType: file.batchType,
        batchNumber: file.id,
        journalName: journal.journalName,
        effectiveDate: journal.effectiveDate,
        fiscalYear: journal.fiscalYear,
        lineStyle: journal.lineStyle,
        refundLineCount: journal.revenueLineCount,
        total: formatCents(journal.debitTotalCents),
      };
    }),
    files,
  };
  await putOnce(bucket, `${prefix}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`, "application/json");
  await deps.afterStep?.("manifest.json", batch.id);

  // Lines stay INPRG: the ledger's feedback decides (CMPLT or RJCT).
  budget.spend();
  const results = await runBatch(db, [markPostedQuery(db, batch.id, totals, deps.now)]);
  await deps.afterStep?.("posted", batch.id);
  if (results[0]?.meta.changes !== 1) return; // another run finished it
  const fileNames = feederFiles.map((file) => file.fileName);
  await deps.audit("gl.refund_journal_posted", "success", {
    actor: "system:gl-posting",
    target: `${batch.pbcRefNumber}/${batch.glDate}/${batch.sequence}`,
    detail: { batchId: batch.id, lines: lineCount, totalCents: totals.debitTotalCents, feederFiles: fileNames },
  });
  report.batchesPosted.push({
    id: batch.id,
    pbcRefNumber: batch.pbcRefNumber,
    glDate: batch.glDate,
    sequence: batch.sequence,
    lines: lineCount,
    totalCents: totals.debitTotalCents,
    feederFiles: fileNames,
  });
}

/**
 * Nightly posting of refunds: per (partner, GL date) a reversal journal (debit each refunded revenue
 * account, credit cash), in the same files as payments (journal CSV, feeder file + trigger, detail
 * CSV with refund rows as negative amounts, manifest last), written once to R2 and crash-safe by the
 * same machinery as services/glPosting.ts: one atomic claim (refund lines NEW -> INPRG into a
 * `journal_batches` row of kind `refund`), write-once files whose bytes depend on the batch alone,
 * and a CLAIMED batch finished by the next run. It runs after the payments' posting, and a refund
 * line is due only once its revenue line is PROCESSED: the ledger never sees a refund before its revenue.
 */
import { runBatch } from "../db/batch.ts";
import {
  createBatchIfWorkQuery,
  findBatch,
  type JournalBatch,
  listClaimedBatches,
  markPostedQuery,
  newestRefundBatchId,
  type PostedTotals,
} from "../db/journalBatches.ts";
import { findPartner } from "../db/partners.ts";
import { recordRefundBatchEventsQuery, recordRefundClaimEventsQuery } from "../db/paymentEvents.ts";
import {
  claimRefundLinesQuery,
  markRefundBatchPostedQuery,
  postableRefundLinesExist,
  refundBatchAccountTotals,
  refundBatchDetailPage,
  refundDueGroups,
} from "../db/refunds.ts";
import { journalObjectPrefix } from "../domain/journal.ts";
import { renderJournalCsv } from "../domain/journalCsv.ts";
import { feederFileName, feederTriggerFileName, renderFeederFile } from "../domain/ledgerFeeder.ts";
import { formatCents } from "../domain/money.ts";
import { renderRefundDetailHeader, renderRefundDetailRow } from "../domain/refundCsv.ts";
import { buildReversalJournal } from "../domain/refundJournal.ts";
import { Budget, type FileRecord, type GlPostingDeps, lastDueGlDate, putOnce } from "./glPosting.ts";

export interface RefundPostingReport {
  lastDueGlDate: string;
  batchesPosted: Array<{ id: number; pbcRefNumber: string; glDate: string; sequence: number; lines: number; totalCents: number }>;
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

async function postRefundBatch(deps: GlPostingDeps, batch: JournalBatch, budget: Budget, report: RefundPostingReport) {
  const { db, bucket } = deps;
  budget.spend();
  const partner = await findPartner(db, batch.pbcRefNumber);
  if (!partner?.cashAccount) {
    deps.log.error("refund posting: partner has no cash account", { pbcRefNumber: batch.pbcRefNumber, batchId: batch.id });
    return;
  }
  budget.spend();
  const debits = await refundBatchAccountTotals(db, batch.id);
  const journal = buildReversalJournal({
    pbcRefNumber: batch.pbcRefNumber,
    partnerName: partner.name,
    glDate: batch.glDate,
    sequence: batch.sequence,
    cashAccount: partner.cashAccount,
    debits,
  });
  // The claim time names and dates the files, so a re-run writes the same bytes.
  const createdAt = new Date(batch.claimedAt);
  const prefix = journalObjectPrefix(batch.pbcRefNumber, batch.glDate, batch.sequence);
  const files: Record<string, FileRecord> = {};
  files["journal.csv"] = await putOnce(bucket, `${prefix}journal.csv`, renderJournalCsv(journal), "text/csv; charset=utf-8");
  await deps.afterStep?.("journal.csv", batch.id);
  const feederName = feederFileName(deps.feederNumber, createdAt);
  files.feeder = await putOnce(
    bucket,
    `${prefix}${feederName}`,
    renderFeederFile(journal, { feederNumber: deps.feederNumber, batchNumber: batch.id, createdAt }),
    "text/plain; charset=us-ascii",
  );
  await deps.afterStep?.("feeder", batch.id);
  files.trigger = await putOnce(bucket, `${prefix}${feederTriggerFileName(deps.feederNumber, createdAt)}`, "", "text/plain");
  await deps.afterStep?.("trigger", batch.id);

  let detail = renderRefundDetailHeader();
  let after = 0;
  for (;;) {
    budget.spend();
    const rows = await refundBatchDetailPage(db, batch.id, after, DETAIL_PAGE);
    for (const row of rows) detail += renderRefundDetailRow(batch.glDate, batch.pbcRefNumber, row);
    const last = rows[rows.length - 1];
    if (!last || rows.length < DETAIL_PAGE) break;
    after = last.id;
  }
  files["detail.csv"] = await putOnce(bucket, `${prefix}detail.csv`, detail, "text/csv; charset=utf-8");
  await deps.afterStep?.("detail.csv", batch.id);

  const totals: PostedTotals = {
    lineCount: journal.revenueLineCount,
    accountCount: journal.accountCount,
    debitTotalCents: journal.debitTotalCents,
    creditTotalCents: journal.creditTotalCents,
    files,
  };
  const manifest = {
    kind: "refund",
    batchId: batch.id,
    pbcRefNumber: batch.pbcRefNumber,
    partnerName: partner.name,
    glDate: batch.glDate,
    sequence: batch.sequence,
    journalName: journal.journalName,
    fiscalYear: journal.fiscalYear,
    refundLineCount: journal.revenueLineCount,
    journalLineCount: journal.lines.length,
    accountCount: journal.accountCount,
    debitTotal: formatCents(journal.debitTotalCents),
    creditTotal: formatCents(journal.creditTotalCents),
    createdAt: createdAt.toISOString(),
    files,
  };
  await putOnce(bucket, `${prefix}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`, "application/json");
  await deps.afterStep?.("manifest.json", batch.id);

  budget.spend(3);
  const results = await runBatch(db, [
    markPostedQuery(db, batch.id, totals, deps.now),
    recordRefundBatchEventsQuery(batch.id, deps.now),
    markRefundBatchPostedQuery(batch.id),
  ]);
  await deps.afterStep?.("posted", batch.id);
  if (results[0]?.meta.changes !== 1) return; // another run finished it
  await deps.audit("gl.refund_journal_posted", "success", {
    actor: "system:gl-posting",
    target: `${batch.pbcRefNumber}/${batch.glDate}/${batch.sequence}`,
    detail: { batchId: batch.id, lines: journal.revenueLineCount, totalCents: journal.debitTotalCents },
  });
  report.batchesPosted.push({
    id: batch.id,
    pbcRefNumber: batch.pbcRefNumber,
    glDate: batch.glDate,
    sequence: batch.sequence,
    lines: journal.revenueLineCount,
    totalCents: journal.debitTotalCents,
  });
}

/**
 * Script inventory of the payment pages (PCI DSS 6.4.3): every script the pages may load, with
 * its purpose and SHA-256. test/scriptInventory.test.ts fails when a page loads a script that is
 * not listed here or whose content no longer matches its recorded hash (11.6.1).
 */
export interface InventoriedScript {
  path: string;
  purpose: string;
  sha256: string;
}

export const SCRIPT_INVENTORY: InventoriedScript[] = [
  {
    path: "/public/assets/card.js",
    purpose:
      "Card page convenience: the server's own card checks (bundled from domain/card.ts by scripts/build-browser.ts), double-submit guard",
    sha256: "57fa01b0d6c6f2f25653e22295a1bcd6b657f69625d627498847fc1ceb0e49d4",
  },
  {
    path: "/public/assets/waiting.js",
    purpose: "Waiting page: polls the payment's status and reloads once the outcome is known",
    sha256: "06d76d04068d0ae2e6137f1b9b266f227cc852142deb823c3f2edaf3a2c082de",
  },
  {
    path: "/public/assets/print.js",
    purpose: "Receipt page: shows the Print button and opens the browser's print dialog",
    sha256: "24efd37e66a8a11c75564c41331658a46f5ed6d2a82656ceda0d42f8ac83cb80",
  },
];

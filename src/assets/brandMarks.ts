/**
 * Card brand marks, drawn here and served from /public/assets/brands/<code>.svg (no third-party
 * requests). Each is shown with a text alternative (the brand's name); the SVGs themselves are
 * decorative words on the brand's colours, legible at 48x30 and in forced-colours mode.
 */
export interface BrandMark {
  code: "visa" | "mastercard" | "amex" | "discover";
  name: string;
  svg: string;
}

function mark(background: string, foreground: string, text: string, size: number, extra = ""): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 40" width="64" height="40" aria-hidden="true"><rect x="0.5" y="0.5" width="63" height="39" rx="5" fill="${background}" stroke="#505a5f"/>${extra}<text x="32" y="25" font-family="Arial,Helvetica,sans-serif" font-weight="700" font-size="${size}" text-anchor="middle" fill="${foreground}">${text}</text></svg>`;
}

export const BRAND_MARKS: readonly BrandMark[] = [
  { code: "visa", name: "Visa", svg: mark("#1a1f71", "#ffffff", "VISA", 16) },
  {
    code: "mastercard",
    name: "Mastercard",
    svg: mark(
      "#ffffff",
      "#0b0c0c",
      "",
      1,
      '<circle cx="25" cy="20" r="12" fill="#eb001b"/><circle cx="39" cy="20" r="12" fill="#f79e1b" fill-opacity="0.9"/>',
    ),
  },
  { code: "amex", name: "American Express", svg: mark("#1f72cd", "#ffffff", "AMEX", 15) },
  {
    code: "discover",
    name: "Discover",
    svg: mark("#ffffff", "#0b0c0c", "DISCOVER", 10, '<circle cx="52" cy="33" r="4" fill="#f58220"/>'),
  },
];

export function brandMark(code: string): BrandMark | undefined {
  return BRAND_MARKS.find((brand) => brand.code === code);
}

/**
 * The hosted checkout page: server-rendered, no framework, no external asset (a payer's locked-down
 * network may reach nothing but us). Inline CSS and JS carry a per-response CSP nonce.
 */
export interface CheckoutView {
  orderId: string;
  amount: string;
  currency: string;
  /** What the provider charges when it charges another currency (WeChat Pay, Alipay: CNY), and at what rate. */
  charge: { amount: string; currency: string; rate: string } | null;
  method: string;
  state: string;
  expiresAt: string;
  qrSvg: string | null;
  qrCaption: string | null;
  payId: string | null;
  sandbox: boolean;
  redirectUrl: string | null;
  nonce: string;
}

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export function renderCheckout(v: CheckoutView): string {
  const config = JSON.stringify({
    orderId: v.orderId,
    payId: v.payId,
    expiresAt: v.expiresAt,
    redirectUrl: v.redirectUrl,
    state: v.state,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Pay ${esc(v.amount)} ${esc(v.currency)} · paymux</title>
<style nonce="${v.nonce}">
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f5f7; margin: 0; color: #1d2330; }
  main { max-width: 420px; margin: 40px auto; background: #fff; border-radius: 12px; padding: 28px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 15px; font-weight: 600; color: #667; margin: 0 0 6px; }
  .amount { font-size: 34px; font-weight: 700; margin: 0 0 4px; }
  .meta { color: #667; font-size: 14px; margin-bottom: 18px; }
  .qr { display: flex; justify-content: center; margin: 12px 0; }
  .qr svg { width: 200px; height: 200px; }
  .caption { text-align: center; font-size: 12px; color: #889; word-break: break-all; }
  .state { margin: 18px 0 8px; padding: 10px 12px; border-radius: 8px; background: #eef2ff; font-weight: 600; }
  .state.paid { background: #e7f7ee; color: #136c3a; }
  .state.bad { background: #fdecec; color: #9b1c1c; }
  .countdown { font-variant-numeric: tabular-nums; color: #445; }
  .actions { display: flex; gap: 10px; margin-top: 18px; }
  button { flex: 1; padding: 12px; border: 0; border-radius: 8px; font-size: 15px; font-weight: 600; cursor: pointer; }
  .pay { background: #4f46e5; color: #fff; }
  .fail { background: #e5e7eb; color: #333; }
  button[disabled] { opacity: .5; cursor: default; }
  .sandbox { font-size: 12px; color: #a15c00; background: #fff7e6; border-radius: 6px; padding: 6px 8px; margin-bottom: 12px; }
</style>
</head>
<body>
<main>
  ${v.sandbox ? '<div class="sandbox">Sandbox: no real money moves.</div>' : ''}
  <h1>Order ${esc(v.orderId)}</h1>
  <p class="amount" data-testid="amount">${esc(v.amount)} ${esc(v.currency)}</p>
  ${
    v.charge
      ? `<div class="meta" data-testid="charge">Charged as ${esc(v.charge.amount)} ${esc(v.charge.currency)} (1 ${esc(v.currency)} = ${esc(v.charge.rate)} ${esc(v.charge.currency)})</div>`
      : ''
  }
  <div class="meta">Pay with <span data-testid="method">${esc(v.method)}</span></div>
  ${v.qrSvg ? `<div class="qr" data-testid="qr">${v.qrSvg}</div>` : ''}
  ${v.qrCaption ? `<div class="caption">${esc(v.qrCaption)}</div>` : ''}
  <div class="state" id="state" data-testid="state">${esc(v.state)}</div>
  <div class="countdown">Expires in <span id="countdown" data-testid="countdown">--:--</span></div>
  ${
    v.sandbox && v.payId
      ? `<div class="actions"><button class="pay" id="pay" data-testid="pay">Pay</button><button class="fail" id="fail" data-testid="fail">Fail payment</button></div>`
      : ''
  }
</main>
<script nonce="${v.nonce}">
(function () {
  var cfg = ${config};
  var stateEl = document.getElementById('state');
  var countdownEl = document.getElementById('countdown');
  var buttons = ['pay', 'fail'].map(function (id) { return document.getElementById(id); }).filter(Boolean);
  var redirecting = false;
  var labels = { Pending: 'Waiting for payment', Paid: 'Paid', Finished: 'Paid', Expired: 'Expired', Cancelled: 'Cancelled', Failed: 'Failed', Refunded: 'Refunded', PartiallyRefunded: 'Partially refunded' };
  // Paid still moves to Finished; every other non-Pending state is where this page stops.
  function settled(state) { return state !== 'Pending' && state !== 'Paid'; }
  function enable(on) { buttons.forEach(function (b) { b.disabled = !on; }); }
  function show(state, note) {
    stateEl.textContent = (labels[state] || state) + (note ? ' - ' + note : '');
    stateEl.className = 'state' + (state === 'Paid' || state === 'Finished' ? ' paid' : state === 'Pending' ? '' : ' bad');
    stateEl.setAttribute('data-state', state);
    if (state !== 'Pending') enable(false);
    if ((state === 'Paid' || state === 'Finished') && cfg.redirectUrl && !redirecting) {
      redirecting = true;
      setTimeout(function () { window.location.href = cfg.redirectUrl; }, 1200);
    }
  }
  function current() { return stateEl.getAttribute('data-state'); }
  function tick() {
    if (current() !== 'Pending') { countdownEl.parentNode.style.visibility = 'hidden'; return; }
    var left = Math.max(0, Math.floor((Date.parse(cfg.expiresAt) - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    countdownEl.textContent = (m < 10 ? '0' : '') + m + ':' + (s < 10 ? '0' : '') + s;
    if (left === 0) { enable(false); stateEl.textContent = 'Time is up'; stateEl.className = 'state bad'; }
  }
  function poll() {
    if (settled(current())) return;
    fetch('/checkout/' + cfg.orderId + '/status', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && j.state !== current()) show(j.state); })
      .catch(function () {});
  }
  function complete(outcome) {
    enable(false);
    fetch('/api/v1/sandbox/payments/' + encodeURIComponent(cfg.payId) + '/complete', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: outcome })
    }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function () {
      if (outcome === 'failed') { stateEl.textContent = 'Payment failed - you can try again'; stateEl.className = 'state bad'; enable(true); }
      poll();
    }).catch(function () {
      stateEl.textContent = 'Could not reach the payment service - please try again';
      stateEl.className = 'state bad';
      enable(true);
    });
  }
  buttons.forEach(function (b) { b.addEventListener('click', function () { complete(b.id === 'pay' ? 'succeeded' : 'failed'); }); });
  show(cfg.state);
  tick();
  setInterval(tick, 1000);
  setInterval(poll, 2000);
})();
</script>
</body>
</html>`;
}

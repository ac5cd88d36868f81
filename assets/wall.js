/* The wall (大屏): fit the design canvas to the screen, move the clock, watch the server.
 *
 * - fit: the canvas is 1080 design pixels high and 1920 wide, wider on a wider screen
 *   (wall.css picks the width from the screen's shape, up to 3840 for 32:9), scaled to fill
 *   the screen with no scrollbar; centred when the screen's shape leaves a margin.
 * - clock: the time and date in Asia/Shanghai, every second, in the page's language.
 * - watchdog: every refresh the server changes the root's data-tick; when it has not for
 *   three refresh intervals the server is out of reach: a banner says since when the data
 *   is, and goes once a refresh succeeds again (Dash keeps retrying by itself).
 * - ticker: scrolls at a constant speed whatever its length.
 * Nothing here needs a click or a hover. */
(function () {
    const H = 1080, TICKER_PX_PER_S = 110;
    let lastTick = null, lastTickAt = Date.now(), lastW = null, lastScale = null;

    function root() { return document.querySelector('.wall[data-wall-page]'); }

    function fit() {
        const el = root();
        if (!el) { return; }
        const vw = window.innerWidth, vh = window.innerHeight;
        const w = parseFloat(getComputedStyle(el).width) || 1920;  // layout width: untransformed
        const scale = Math.min(vw / w, vh / H);
        const transform = 'scale(' + scale + ')';
        // a refresh that restyles the root (the page's accent) resets what was set here
        if (w === lastW && scale === lastScale && el.style.transform === transform) { return; }
        el.style.transform = transform;
        el.style.left = Math.max(0, (vw - w * scale) / 2) + 'px';
        el.style.top = Math.max(0, (vh - H * scale) / 2) + 'px';
        el.dataset.fitted = '1';
        el.dataset.scale = String(scale);
        lastW = w; lastScale = scale;
    }

    const two = function (n) { return (n < 10 ? '0' : '') + n; };
    const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

    function shanghai(now) {  // the wall's time zone, whatever the browser's
        const parts = {};
        new Intl.DateTimeFormat('en-GB', {
            timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: 'numeric',
            day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
        }).formatToParts(now).forEach(function (p) { parts[p.type] = p.value; });
        return parts;
    }

    function clock() {
        const el = root();
        if (!el) { return; }
        const p = shanghai(new Date());
        const c = document.getElementById('wall-clock');
        const hh = p.hour === '24' ? '00' : p.hour;
        const time = hh + ':' + p.minute + ':' + p.second;
        if (c && c.textContent !== time) { c.textContent = time; }
        const d = document.getElementById('wall-date');
        const day = el.classList.contains('lang-en')
            ? p.day + ' ' + MONTHS[Number(p.month) - 1] + ' ' + p.year
            : p.year + '年' + Number(p.month) + '月' + Number(p.day) + '日';
        if (d && d.textContent !== day) { d.textContent = day; }
    }

    let reloadAt = null;
    function watchdog() {
        const el = root();
        if (!el) { return; }
        const after = el.getAttribute('data-reload-after');
        if (after) {  // the first read failed: try the whole page again
            reloadAt = reloadAt || Date.now() + Number(after) * 1000;
            if (Date.now() >= reloadAt) { window.location.reload(); }
            return;
        }
        const tick = el.getAttribute('data-tick');
        if (tick !== lastTick) { lastTick = tick; lastTickAt = Date.now(); }
        const refresh = Number(el.getAttribute('data-refresh') || 5) * 1000;
        let banner = el.querySelector('.wall-lost');
        if (!banner) {
            banner = document.createElement('div');
            banner.className = 'wall-lost';
            banner.setAttribute('role', 'alert');
            el.appendChild(banner);
        }
        const lost = Date.now() - lastTickAt > Math.max(3 * refresh, refresh + 10000);
        if (lost) {
            const at = shanghai(new Date(lastTickAt));
            const text = (el.getAttribute('data-lost-text') || '')
                .replace('{time}', at.hour + ':' + at.minute + ':' + at.second);
            if (banner.textContent !== text) { banner.textContent = text; }
        }
        banner.classList.toggle('is-on', lost);
    }

    function ticker() {
        const track = document.querySelector('.wall-ticker-track');
        if (!track) { return; }
        const seconds = Math.max(20, Math.round(track.scrollWidth / TICKER_PX_PER_S));
        if (track.dataset.seconds !== String(seconds)) {
            track.dataset.seconds = String(seconds);
            track.style.setProperty('--ticker-s', seconds + 's');
        }
    }

    // Area labels never cover each other: small central districts crowd the city map, so a
    // label that would overlap one already placed moves to the nearest free place inside
    // the map (half-label steps up or down, then sideways; greedy, top first). Recomputed only when the labels moved (a new
    // page, a flight), so nothing jitters.
    let lastLabels = '';
    function declutter() {
        const labels = Array.from(document.querySelectorAll('.wall .wall-area-label'));
        const sig = labels.map(function (l) { return l.style.transform + l.textContent; }).join('|');
        if (sig === lastLabels) { return; }
        const el = root();
        const frame = document.querySelector('.wall .wall-map');
        if (!el || !frame) { return; }
        const scale = Number(el.dataset.scale || 1);
        const box = frame.getBoundingClientRect();
        labels.forEach(function (l) { l.style.marginTop = ''; l.style.marginLeft = ''; });
        const boxes = labels.map(function (l) { return {l: l, r: l.getBoundingClientRect()}; })
            .sort(function (a, b) { return a.r.top - b.r.top || a.r.left - b.r.left; });
        const placed = [];
        const hitAt = function (r, top) {
            return placed.find(function (p) {
                return r.left < p.right && r.right > p.left && top < p.bottom && top + r.height > p.top;
            });
        };
        boxes.forEach(function (b) {
            // the nearest free place: up or down in half-label steps, then sideways
            const h = b.r.height, w = b.r.width;
            let best = {dx: 0, dy: 0};
            search: for (let step = 0; step <= 12; step++) {
                const dy = Math.ceil(step / 2) * (h / 2 + 2) * (step % 2 ? 1 : -1);
                for (const dx of [0, w / 2, -w / 2]) {
                    const r = {left: b.r.left + dx, right: b.r.right + dx, height: h};
                    const top = b.r.top + dy;
                    if (top < box.top || top + h > box.bottom) { continue; }
                    if (!hitAt(r, top)) { best = {dx: dx, dy: dy}; break search; }
                }
            }
            if (best.dx || best.dy) {
                b.l.style.marginTop = (best.dy / scale) + 'px';
                b.l.style.marginLeft = (best.dx / scale) + 'px';
            }
            placed.push({left: b.r.left + best.dx, right: b.r.right + best.dx,
                         top: b.r.top + best.dy, bottom: b.r.top + best.dy + h});
        });
        lastLabels = labels.map(function (l) { return l.style.transform + l.textContent; }).join('|');
    }

    window.addEventListener('resize', function () { lastScale = null; fit(); });
    setInterval(fit, 200);  // a wall page replaced by the router is fitted at once
    setInterval(function () { clock(); watchdog(); ticker(); declutter(); }, 1000);
})();

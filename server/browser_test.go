package main

// The harness of the browser tests: a real headless Chromium, driven over
// the DevTools protocol, opening the real pages of a real server. Each test
// starts its own browser; each tab gets its own browser context, so two
// phones in one test are two people with their own storage.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/withboard/withboard/hub/board"
)

const (
	chromiumPath = "/usr/bin/chromium"
	// pageWait bounds one step in a page: an action, or waiting for a condition.
	pageWait = 15 * time.Second
	// pollEvery is how often a condition in a page is checked.
	pollEvery = 40 * time.Millisecond
	// maxShotParts bounds the screens a whole-page screenshot is cut into.
	maxShotParts = 8
)

// Viewports the pages are looked at in.
const (
	phoneW, phoneH       = 390, 844
	laptopW, laptopH     = 1280, 800
	projectorW, projectH = 1920, 1080
)

// needChromium returns the browser's path, or skips (fails under CI) when
// it is not installed.
func needChromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s, and CI needs it for the browser tests", path)
		}
		t.Skipf("chromium not found at %s (apt-get install chromium to run the browser tests)", path)
	}
	return path
}

// browser is one headless Chromium process for one test.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string // the server every tab opens
}

// newBrowser starts Chromium for t and closes it when t ends.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests start a browser; skipped with -short")
	}
	path := needChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "en-GB"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: base}
}

// tab is one page in its own browser context (its own storage), sized as
// a phone or a laptop.
type tab struct {
	t    *testing.T
	name string // for screenshots and messages
	ctx  context.Context
	base string
	w, h int64

	mu         sync.Mutex // guards exceptions
	exceptions []string
}

// open makes a tab of w x h CSS pixels; phone-sized tabs emulate a mobile
// touch screen. Uncaught exceptions in the page fail the test.
func (b *browser) open(name string, w, h int) *tab {
	b.t.Helper()
	tb := &tab{t: b.t, name: name, base: b.base, w: int64(w), h: int64(h)}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(func(ev any) {
		if ev, ok := ev.(*runtime.EventExceptionThrown); ok {
			tb.mu.Lock()
			tb.exceptions = append(tb.exceptions, exceptionText(ev.ExceptionDetails))
			tb.mu.Unlock()
		}
	}))
	tb.ctx = ctx
	b.t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.exceptions {
			b.t.Errorf("%s: uncaught exception in the page: %s", name, e)
		}
		cancel()
	})
	if err := chromedp.Do(ctx); err != nil { // opens the tab, with no timeout
		b.t.Fatalf("%s: open tab: %v", name, err)
	}
	tb.resize(w, h)
	// Without animations a step's element stays where it was measured.
	cdpCall(tb, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	return tb
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return ""
	}
	text := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		text = d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1)
}

// resize sets the viewport; below 600 px wide it is a phone's.
func (tb *tab) resize(w, h int) {
	tb.t.Helper()
	tb.w, tb.h = int64(w), int64(h)
	opts := []chromedp.EmulateViewportOption{}
	if w < 600 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	tb.do(chromedp.EmulateViewport(int64(w), int64(h), opts...))
}

// do runs actions in the tab, failing the test on an error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fail("%v", err)
	}
}

// fail stops the test with a screenshot of the tab, where shots are kept.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	tb.shot("FAILED-" + strings.NewReplacer("/", "-", " ", "-").Replace(tb.t.Name()))
	tb.t.Fatalf("%s: "+format, append([]any{tb.name}, args...)...)
}

// goTo navigates to a path of the server and waits for the page's modules
// to have drawn something: the condition ready, a JavaScript expression.
func (tb *tab) goTo(path, ready string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base + path))
	tb.wait(ready)
}

// eval runs a JavaScript expression and decodes its value into out (nil
// to ignore it). Promises are awaited.
func (tb *tab) eval(expr string, out any) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageWait)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("eval %q: %v", short(expr), err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			tb.fail("eval %q: decode %s: %v", short(expr), raw, err)
		}
	}
}

// str, num and truth evaluate an expression of one type.
func (tb *tab) str(expr string) string {
	tb.t.Helper()
	var s string
	tb.eval(expr, &s)
	return s
}

func (tb *tab) num(expr string) int {
	tb.t.Helper()
	var n int
	tb.eval(expr, &n)
	return n
}

func (tb *tab) truth(expr string) bool {
	tb.t.Helper()
	var b bool
	tb.eval("!!("+expr+")", &b)
	return b
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// wait polls a JavaScript expression until it is truthy. It keeps
// polling through a navigation, when the page has no document for a moment.
func (tb *tab) wait(expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(pageWait)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, pageWait)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(pollEvery)
	}
	tb.fail("waiting for %s: timed out (last error: %v)", short(expr), last)
}

// waitText waits until the element matched by sel shows text (a substring).
func (tb *tab) waitText(sel, text string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`document.querySelector(%s)?.textContent.includes(%s)`, jsString(sel), jsString(text)))
}

// click clicks the first visible element that sel (CSS) matches, with the mouse.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// tap taps the first visible element that sel (CSS) matches, with a finger.
func (tb *tab) tap(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Tap(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto focuses the element sel and types text, key by key.
func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// keys presses keys (kb constants or text) on whatever has focus.
func (tb *tab) keys(keys string, mods ...chromedp.Modifier) {
	tb.t.Helper()
	var opts []chromedp.KeyOption
	if len(mods) > 0 {
		opts = append(opts, chromedp.KeyModifiers(mods...))
	}
	tb.do(chromedp.KeyEvent(keys, opts...))
}

// shiftTab moves focus back.
func (tb *tab) shiftTab() {
	tb.t.Helper()
	tb.keys(kb.Tab, chromedp.ModifierShift)
}

// cdpCall runs one protocol command in the tab.
func cdpCall[P, R any](tb *tab, cmd cdp.Command[P, R], params P) R {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageWait)
	defer cancel()
	r, err := chromedp.Call(ctx, cmd, params)
	if err != nil {
		tb.fail("%s: %v", cmd.Method, err)
	}
	return r
}

// shot writes a PNG of what the tab shows into $WITHBOARD_SHOTS, when set.
// A name ending in "-full" captures the whole page, not only the viewport,
// as screen-sized parts name-1.png, name-2.png, ... that are easy to look at.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	dir := os.Getenv("WITHBOARD_SHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatalf("shots: %v", err)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, pageWait)
	defer cancel()
	// Let layout and any transition settle before the picture.
	chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
	parts := map[string]*cdppage.Viewport{name: nil}
	if strings.HasSuffix(name, "-full") {
		parts = map[string]*cdppage.Viewport{}
		metrics, err := chromedp.Call(ctx, cdppage.GetLayoutMetrics, cdp.Empty{})
		if err != nil || metrics.CSSContentSize == nil {
			tb.t.Errorf("%s: layout metrics: %v", tb.name, err)
			return
		}
		height := metrics.CSSContentSize.Height
		for i, y := 1, 0.0; y < height && i <= maxShotParts; i, y = i+1, y+float64(tb.h) {
			parts[fmt.Sprintf("%s-%d", name, i)] = &cdppage.Viewport{Width: float64(tb.w), Y: y, Height: min(float64(tb.h), height-y), Scale: 1}
		}
	}
	for file, clip := range parts {
		png, err := chromedp.Call(ctx, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{Clip: clip, CaptureBeyondViewport: new(clip != nil)})
		if err != nil {
			tb.t.Errorf("%s: screenshot %s: %v", tb.name, file, err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, file+".png"), png.Data, 0o644); err != nil {
			tb.t.Errorf("shots: %v", err)
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// focusVisible fails the test unless the focused element is the one sel
// matches (when sel is not empty) and shows a visible focus indicator: an
// outline or a box-shadow.
func (tb *tab) focusVisible(step, sel string) {
	tb.t.Helper()
	var got struct {
		Tag, Desc, Outline, Shadow string
		Matches                    bool
	}
	tb.eval(fmt.Sprintf(`(() => {
		const el = document.activeElement;
		const cs = getComputedStyle(el);
		const sel = %s;
		return {
			tag: el.tagName,
			desc: el.outerHTML.slice(0, 160),
			outline: cs.outlineStyle === 'none' || parseFloat(cs.outlineWidth) === 0 ? '' : cs.outlineStyle + ' ' + cs.outlineWidth,
			shadow: cs.boxShadow === 'none' ? '' : cs.boxShadow,
			matches: !sel || el.matches(sel),
		};
	})()`, jsString(sel)), &got)
	if got.Tag == "BODY" {
		tb.fail("%s: nothing has focus", step)
	}
	if !got.Matches {
		tb.fail("%s: focus is on %s, want %s", step, got.Desc, sel)
	}
	if got.Outline == "" && got.Shadow == "" {
		tb.fail("%s: focus on %s is not visible (no outline, no box-shadow)", step, got.Desc)
	}
}

// tabTo presses Tab (or Shift+Tab when back) until the focused element
// matches sel, at most max times, checking at each step that focus is
// visible.
func (tb *tab) tabTo(sel string, back bool, max int) {
	tb.t.Helper()
	for range max {
		if back {
			tb.shiftTab()
		} else {
			tb.keys(kb.Tab)
		}
		tb.focusVisible("tabbing to "+sel, "")
		if tb.truth(fmt.Sprintf(`document.activeElement.matches(%s)`, jsString(sel))) {
			return
		}
	}
	tb.fail("%s not reached in %d presses of Tab", sel, max)
}

var (
	axeOnce   sync.Once
	axeSource []byte
	axeErr    error
)

// needAxe returns the source of axe-core, which .ci/run installs from npm,
// or skips (fails under CI) when it is missing.
func needAxe(t *testing.T) []byte {
	t.Helper()
	axeOnce.Do(func() {
		path := os.Getenv("AXE_PATH")
		if path == "" {
			path = filepath.Join("..", ".ci", "node_modules", "axe-core", "axe.min.js")
		}
		axeSource, axeErr = os.ReadFile(path)
	})
	if axeErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core missing, and CI needs it: %v", axeErr)
		}
		t.Skipf("axe-core missing (npm install --prefix .ci axe-core, or set AXE_PATH): %v", axeErr)
	}
	return axeSource
}

// axeViolation is one rule that axe-core found broken, with where.
type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any
		FailureSummary string
		HTML           string
	}
}

// axeCheck runs axe-core in the tab against WCAG 2.x A and AA and fails
// the test for each violation. The script is given to the page through
// the DevTools protocol, so the site's CSP does not stop it.
func (tb *tab) axeCheck(what string, source []byte) {
	tb.t.Helper()
	if !tb.truth(`window.axe`) {
		tb.eval(string(source)+"\n;true", nil)
	}
	var violations []axeViolation
	tb.eval(`axe.run(document, {
		runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
		resultTypes: ['violations'],
	}).then((r) => r.violations.map((v) => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary, html: n.html.slice(0, 200) })),
	})))`, &violations)
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprintf("    %v %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.FailureSummary, "\n", " | ")))
		}
		tb.t.Errorf("%s, %s: axe %s (%s): %s\n%s", tb.name, what, v.ID, v.Impact, v.Help, strings.Join(where, "\n"))
	}
}

// errNotYet is returned by a check that should be tried again.
var errNotYet = errors.New("not yet")

// eventually retries check until it returns nil or pageWait passes.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(pageWait)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The pages, as the flows use them.

// joinPhone opens the phone page of workshop w in a new phone-sized tab
// and joins as role (serviceUser or staff), named name (may be empty).
func (b *browser) joinPhone(tabName string, w created, role, name string) *tab {
	b.t.Helper()
	p := b.open(tabName, phoneW, phoneH)
	p.goTo("/j/"+w.Code, `!document.getElementById('join-screen').hidden`)
	p.tap(fmt.Sprintf(`input[name=role][value=%s]`, role))
	if name != "" {
		p.typeInto("#join-name", name)
	}
	p.tap(`#join-form button[type=submit]`)
	p.waitLive()
	return p
}

// facilitator opens the facilitator page of w in a laptop-sized tab.
func (b *browser) facilitator(w created) *tab {
	b.t.Helper()
	f := b.open("facilitator", laptopW, laptopH)
	f.goTo(w.FacilitatorURL, `document.getElementById('conn')?.dataset.state === 'live'`)
	return f
}

// waitLive waits until the page is connected and has drawn its board.
func (tb *tab) waitLive() {
	tb.t.Helper()
	tb.wait(`document.getElementById('conn')?.dataset.state === 'live' && document.querySelector('#phase strong')`)
}

// cardJS is a JavaScript expression for the card element showing text.
func cardJS(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#board .card')].find((c) => c.querySelector('.card-text').textContent === %s)`, jsString(text))
}

// card returns a CSS selector for the card that shows text, waiting for it.
func (tb *tab) card(text string) string {
	tb.t.Helper()
	tb.wait(cardJS(text))
	return fmt.Sprintf(`#board .card[data-id=%q]`, tb.str(cardJS(text)+`.dataset.id`))
}

// setSelect chooses value in the select sel, as a person would: focus
// goes to it, and the page hears the change.
func setSelect(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const el = document.querySelector(%s);
			el.focus();
			el.value = %s;
			if (el.value !== %[2]s) throw new Error('no option ' + %[2]s);
			el.dispatchEvent(new Event('change', { bubbles: true }));
		})()`, jsString(sel), jsString(value))),
	)
}

// addCard adds a card through the form: place is "" for the tray or
// "stage/level". It returns the card's selector once it is shown.
func (tb *tab) addCard(text, place string) string {
	tb.t.Helper()
	tb.typeInto("#new-text", text)
	tb.do(setSelect("#new-place", place))
	tb.click(`#composer button[type=submit]`)
	return tb.card(text)
}

// waitSent waits until none of the tab's changes is waiting to be sent.
func (tb *tab) waitSent() {
	tb.t.Helper()
	tb.wait(`!document.querySelector('#board .card.pending') && document.getElementById('banner').hidden`)
}

// phase waits until the page shows phase.
func (tb *tab) phase(phase string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`document.getElementById('phase').dataset.phase === %s`, jsString(phase)))
}

// buttonJS is a JavaScript expression for the shown button, inside the
// element sel, whose text is text.
func buttonJS(sel, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s + ' button')].find((b) => b.textContent.trim() === %s && b.offsetParent)`, jsString(sel), jsString(text))
}

// clickJS clicks, with the mouse, the element a JavaScript expression gives.
func (tb *tab) clickJS(js string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.JSPath(js), chromedp.NodeVisible))
}

// tapJS taps, with a finger, the element a JavaScript expression gives.
func (tb *tab) tapJS(js string) {
	tb.t.Helper()
	tb.do(chromedp.Tap(chromedp.JSPath(js), chromedp.NodeVisible))
}

// boardOf returns the board of w as a facilitator sees it now, read
// through a WebSocket of its own.
func boardOf(t *testing.T, base string, w created) board.BoardView {
	t.Helper()
	c := dial(t, base)
	welcome := c.join(map[string]any{"code": w.Code, "key": w.FacilitatorKey})
	c.ws.Close()
	var board board.BoardView
	if err := json.Unmarshal(welcome["board"], &board); err != nil {
		t.Fatalf("welcome board: %v", err)
	}
	return board
}

// cardsWithText returns the cards of board whose text is text.
func cardsWithText(bv board.BoardView, text string) []board.CardView {
	var found []board.CardView
	for _, c := range bv.Cards {
		if c.Text != nil && *c.Text == text {
			found = append(found, c)
		}
	}
	return found
}

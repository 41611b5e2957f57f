using Grove.Testing;
using Microsoft.Playwright;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// The bundled pages work under the web door's Content-Security-Policy: chromium reports no violation while the chat
/// page logs in and chats and the status page fills itself in.
/// </summary>
// One chromium at a time, as the other browser test classes (it ran beside them, two browsers on two cores).
[Collection("Browser")]
public sealed class PageUnderCspBrowserTests : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private TestServer _server = null!;

    // Every violation the page reports, and the console's words for any the event misses.
    private const string RecordViolations =
        "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await BrowserPages.LaunchChromiumAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(IPage Page, List<string> Console)> Open(string path)
    {
        var page = await _browser.NewPageAsync();
        page.SetDefaultTimeout(BrowserPages.Timeout);
        var console = new List<string>();
        page.Console += (_, m) => { lock (console) console.Add(m.Text); };
        await page.AddInitScriptAsync(RecordViolations);
        var response = await page.GotoAsync(new Uri(_server.HttpUri, path).ToString());
        Assert.Contains("script-src 'self'", response!.Headers["content-security-policy"]);
        return (page, console);
    }

    // The rules of the style sheets the page could load: none when the policy blocked them.
    private static Task<int> StyleRules(IPage page) =>
        page.EvaluateAsync<int>("Array.from(document.styleSheets).reduce((n, s) => n + s.cssRules.length, 0)");

    private static async Task AssertNoViolations(IPage page, List<string> console)
    {
        Assert.Empty(await page.EvaluateAsync<string[]>("window.__violations"));
        lock (console) Assert.DoesNotContain(console, line => line.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_chat_page_logs_in_and_chats_under_the_policy()
    {
        var (page, console) = await Open("/");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        await page.FillAsync("#name", "cspuser");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
        await page.FillAsync("#input", "styled and scripted");
        await page.PressAsync("#input", "Enter");
        await Assertions.Expect(page.Locator(".msg", new() { HasTextString = "styled and scripted" })).ToBeVisibleAsync();
        Assert.True(await StyleRules(page) > 0);
        await AssertNoViolations(page, console);
    }

    [Fact]
    public async Task The_status_page_fills_itself_in_under_the_policy()
    {
        await using var nc = await _server.JoinAsync("visible");
        var (page, console) = await Open("/status");
        await Assertions.Expect(page.Locator("#server")).ToHaveTextAsync("test.grove");
        await Assertions.Expect(page.Locator("#people td", new() { HasTextString = "visible" })).ToBeVisibleAsync();
        Assert.True(await StyleRules(page) > 0);
        await AssertNoViolations(page, console);
    }
}

using System.Runtime.CompilerServices;
using Grove.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// Debian's chromium under Playwright for the browser tests: pages at a desktop or a phone size, and a screenshot of
/// every open page when a test fails (written under the test's output folder, its path printed to the test output).
/// </summary>
public sealed class BrowserPages : IAsyncDisposable
{
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly ITestOutputHelper _output;
    private readonly List<IPage> _pages = [];

    private BrowserPages(IPlaywright playwright, IBrowser browser, ITestOutputHelper output)
    {
        _playwright = playwright;
        _browser = browser;
        _output = output;
    }

    public static async Task<BrowserPages> LaunchAsync(ITestOutputHelper output)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await LaunchChromiumAsync(playwright);
        return new BrowserPages(playwright, browser, output);
    }

    /// <summary>
    /// How long an action or an expectation on a page may take: chromium shares two cores with the other test hosts,
    /// and a login waits for its password hash: Playwright's own default for an expectation (5 s) is too short for that.
    /// </summary>
    public const float Timeout = 20_000;

    /// <summary>Starts chromium (<see cref="Chromium"/>) with <see cref="Timeout"/> for every expectation.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        Assertions.SetDefaultExpectTimeout(Timeout);
        return playwright.Chromium.LaunchAsync(Chromium);
    }

    /// <summary>
    /// Debian's chromium, headless, as root, without the background connections this closed network refuses
    /// (Playwright cannot download a browser of its own here).
    /// </summary>
    public static BrowserTypeLaunchOptions Chromium => new()
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    };

    public static ViewportSize Size(int width, int height) => new() { Width = width, Height = height };

    /// <summary>A browser context: its pages are tabs of one browser, sharing localStorage but not sessionStorage.</summary>
    public Task<IBrowserContext> ContextAsync(ViewportSize size) =>
        _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = size });

    /// <summary>A new tab in the context, showing the web client, connected.</summary>
    public async Task<IPage> TabAsync(IBrowserContext context, Uri at)
    {
        var page = await context.NewPageAsync();
        _pages.Add(page);
        page.SetDefaultTimeout(Timeout);
        await page.GotoAsync(at.ToString());
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        return page;
    }

    /// <summary>A page of its own at this size; with a name, joined as that guest and showing #lobby.</summary>
    public async Task<IPage> OpenAsync(Uri at, string? name, ViewportSize size)
    {
        var page = await TabAsync(await ContextAsync(size), at);
        if (name is not null) await JoinAsync(page, name);
        return page;
    }

    public static async Task JoinAsync(IPage page, string name, string? password = null)
    {
        await page.FillAsync("#name", name);
        if (password is not null) await page.FillAsync("#password", password);
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#app")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
    }

    public static async Task Say(IPage page, string text)
    {
        await page.FillAsync("#input", text);
        await page.PressAsync("#input", "Enter");
    }

    public static ILocator Message(IPage page, string text) => page.Locator(".msg", new() { HasTextString = text });

    /// <summary>Runs a test body; if it fails, every page this test opened is saved as a PNG first.</summary>
    public async Task RunAsync(Func<Task> body, [CallerMemberName] string test = "")
    {
        try
        {
            await body();
        }
        catch
        {
            await ScreenshotAllAsync(test);
            throw;
        }
    }

    /// <summary>The folder for this test's pictures, under the test's output folder.</summary>
    public static string ShotFolder(string test)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots", test);
        Directory.CreateDirectory(folder);
        return folder;
    }

    public async Task<string> ScreenshotAsync(IPage page, string test, string name)
    {
        var path = Path.Combine(ShotFolder(test), name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        _output.WriteLine($"Screenshot: {path}");
        return path;
    }

    private async Task ScreenshotAllAsync(string test)
    {
        for (var i = 0; i < _pages.Count; i++)
        {
            try
            {
                var size = _pages[i].ViewportSize;
                await ScreenshotAsync(_pages[i], test, $"failed-page{i + 1}-{size?.Width}x{size?.Height}");
            }
            catch (PlaywrightException ex)
            {
                _output.WriteLine($"No screenshot of page {i + 1}: {ex.Message.Split('\n')[0]}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

using Grove.Testing;
using Microsoft.Playwright;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// The browser client in Debian's chromium, driven by Playwright: end-to-end flows only (protocol detail is tested
/// in <see cref="WebSocketApiTests"/>). scripts/test.sh installs chromium.
/// </summary>
// One chromium at a time: the browser test classes share a collection, so xunit does not run them side by side.
[Collection("Browser")]
public sealed class BrowserTests : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private TestServer _server = null!;

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

    private async Task<IPage> OpenAsync(string? name, Uri? at = null, int height = 720)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = height } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(BrowserPages.Timeout);
        await page.GotoAsync((at ?? _server.HttpUri).ToString());
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        if (name is not null)
        {
            await page.FillAsync("#name", name);
            await page.ClickAsync("#login-button");
            await Assertions.Expect(page.Locator("#app")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
        }
        return page;
    }

    private static Task Say(IPage page, string text) => page.FillAsync("#input", text).ContinueWith(_ => page.PressAsync("#input", "Enter")).Unwrap();

    private static ILocator Message(IPage page, string text) => page.Locator(".msg", new() { HasTextString = text });

    [Fact]
    public async Task Two_browsers_and_a_netcat_user_chat_in_one_room()
    {
        var alice = await OpenAsync("alice");
        var bob = await OpenAsync("bob");
        await using var nc = await _server.JoinAsync("carl");
        await Say(alice, "hello from the browser 🌳");
        await Assertions.Expect(Message(bob, "hello from the browser 🌳")).ToBeVisibleAsync();
        await nc.ExpectAsync("^alice: hello from the browser 🌳$");
        await nc.SendAsync("hi from netcat");
        await Assertions.Expect(Message(alice, "hi from netcat")).ToBeVisibleAsync();
        await Assertions.Expect(Message(bob, "hi from netcat")).ToBeVisibleAsync();
        await Assertions.Expect(alice.Locator("#members li")).ToHaveCountAsync(3);

        // A private conversation, started with a slash command.
        await Say(bob, "/msg alice just between us");
        await Assertions.Expect(alice.Locator("#privates li", new() { HasTextString = "bob" })).ToContainTextAsync("1");
        await alice.ClickAsync("#privates li");
        await Assertions.Expect(Message(alice, "just between us")).ToBeVisibleAsync();
        await Say(alice, "agreed");
        await Assertions.Expect(bob.Locator("#privates li", new() { HasTextString = "alice" })).ToBeVisibleAsync();
        await bob.ClickAsync("#privates li");
        await Assertions.Expect(Message(bob, "agreed")).ToBeVisibleAsync();

        // Every slash command works from the input box.
        await bob.ClickAsync("#rooms li");
        await Say(bob, "/bamboo");
        await Assertions.Expect(bob.Locator(".msg.notice", new() { HasTextString = "🐼" })).ToBeVisibleAsync();
        await Say(bob, "/join #garden");
        await Assertions.Expect(bob.Locator("#view-title")).ToHaveTextAsync("#garden");
        await Say(bob, "/topic Tomatoes");
        await Assertions.Expect(bob.Locator("#view-topic")).ToHaveTextAsync("Tomatoes");
    }

    [Fact]
    public async Task A_registered_name_logs_in_with_its_password_and_the_browser_stays_logged_in_after_a_reload()
    {
        await using (var nc = await _server.JoinAsync("owner"))
        {
            await nc.SendAsync("/register a long enough secret");
            await nc.ExpectAsync("^\\* The name owner is now your account");
            await nc.SendAsync("/quit");
            await nc.ReadUntilClosedAsync(); // the name is free before the browser asks for it
        }
        var page = await OpenAsync(null);
        await page.FillAsync("#name", "owner");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#name-error")).ToContainTextAsync("is registered");
        await page.FillAsync("#password", "not it");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#name-error")).ToHaveTextAsync("Wrong name or password.");
        await page.FillAsync("#password", "a long enough secret");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
        await Assertions.Expect(page.Locator(".msg", new() { HasTextString = "You are logged in as owner." })).ToBeVisibleAsync();
        // The password field is emptied, and the browser keeps a token, never the password.
        Assert.Equal("", await page.InputValueAsync("#password"));
        var kept = await page.EvaluateAsync<string>("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)");
        Assert.DoesNotContain("a long enough secret", kept);
        Assert.Contains("grove.token", kept);

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
        await Assertions.Expect(page.Locator(".msg", new() { HasTextString = "You are logged in as owner." })).ToBeVisibleAsync();
        await using var watcher = await _server.JoinAsync("watcher");
        await watcher.SendAsync("/who");
        await watcher.ExpectAsync("^\\* Online \\(2\\): owner, watcher$");

        // /logout: back to the login form, the browser forgets the token and the server ends it.
        var token = await page.EvaluateAsync<string>("() => sessionStorage.getItem('grove.token')");
        // The page reloads to show the form; waiting for that navigation keeps the checks below off the old page.
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Load += (_, _) => reloaded.TrySetResult();
        await Say(page, "/logout");
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await Assertions.Expect(page.Locator("#login")).ToBeVisibleAsync();
        await watcher.ExpectAsync("^\\* owner left \\(logged out\\)$");
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('grove.token')"));
        await using var replay = await WsClient.OpenAsync(_server.Http.Port);
        await replay.Send(new { type = "hello", token });
        Assert.Equal("login_failed", (await replay.Expect("error")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_taken_name_is_shown_inline_and_another_works()
    {
        await using var nc = await _server.JoinAsync("Taken");
        var page = await OpenAsync(null);
        await page.FillAsync("#name", "taken");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#name-error")).ToHaveTextAsync("The name \"taken\" is already taken.");
        await page.FillAsync("#name", "Free");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
    }

    [Fact]
    public async Task Html_in_a_message_stays_text_and_links_are_clickable()
    {
        var alice = await OpenAsync("alice");
        var bob = await OpenAsync("bob");
        var dialogs = 0;
        bob.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        await Say(alice, "<img src=x onerror=alert(1)> see https://example.org/page?a=1");
        var line = Message(bob, "<img src=x onerror=alert(1)>");
        await Assertions.Expect(line).ToBeVisibleAsync();
        Assert.Equal(0, await bob.Locator(".msg img").CountAsync());
        Assert.Equal("https://example.org/page?a=1", await line.Locator("a").GetAttributeAsync("href"));
        Assert.Equal("noopener noreferrer", await line.Locator("a").GetAttributeAsync("rel"));
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task History_loads_on_join_and_older_messages_load_on_scrolling_up()
    {
        await using var nc = await _server.JoinAsync("writer");
        for (var i = 1; i <= 60; i++) await nc.SendAsync($"line {i:00}");
        await nc.LinesUntilBarrierAsync();
        var page = await OpenAsync("reader", height: 420);
        await Assertions.Expect(Message(page, "line 60")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".msg.history")).ToHaveCountAsync(20);
        await page.Locator("#messages").EvaluateAsync("e => e.scrollTop = 0");
        await Assertions.Expect(page.Locator(".msg.history")).ToHaveCountAsync(60);
        await Assertions.Expect(page.Locator(".msg").First).ToContainTextAsync("line 01");
    }

    [Fact]
    public async Task The_client_reconnects_after_a_server_restart_and_says_so()
    {
        var ports = new[] { TestPorts.Free(), TestPorts.Free(), TestPorts.Free() };
        using var folder = new TempFolder();
        void Ports(Grove.Server.Hosting.GroveServerOptions o) { o.Port = ports[0]; o.IrcPort = ports[1]; o.HttpPort = ports[2]; }
        var first = await TestServer.StartAsync(Ports, folder);
        var page = await OpenAsync("phoenix", first.HttpUri);
        await Say(page, "before the restart");
        await Assertions.Expect(Message(page, "before the restart")).ToBeVisibleAsync();
        await first.DisposeAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("reconnecting");
        await using var second = await TestServer.StartAsync(Ports, folder);
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Connected", new() { Timeout = 20_000 });
        await Assertions.Expect(Message(page, "Reconnected.")).ToBeVisibleAsync();
        await using var nc = await second.JoinAsync("watcher");
        await Say(page, "after the restart");
        await nc.ExpectAsync("^phoenix: after the restart$");
    }

    [Fact]
    public async Task The_status_page_updates_as_people_come_and_talk()
    {
        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_server.HttpUri, "/status").ToString());
        await Assertions.Expect(page.Locator("#plain")).ToHaveTextAsync("0");
        await using var nc = await _server.JoinAsync("visitor");
        await Assertions.Expect(page.Locator("#plain")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#people")).ToContainTextAsync("visitor");
        await Assertions.Expect(page.Locator("#log")).ToContainTextAsync("is now visitor");
        await nc.SendAsync("counted");
        await Assertions.Expect(page.Locator("#messages")).ToHaveTextAsync("1");
    }

    [Fact]
    public async Task On_a_phone_sized_screen_the_chat_is_usable()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 375, Height = 667 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(_server.HttpUri.ToString());
        await page.FillAsync("#name", "mobile");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#input")).ToBeVisibleAsync();
        Assert.False(await page.Locator("#sidebar").IsVisibleAsync());
        await page.ClickAsync("#menu");
        await Assertions.Expect(page.Locator("#sidebar")).ToBeVisibleAsync();
        var box = await page.Locator("#input").BoundingBoxAsync();
        Assert.True(box!.X + box.Width <= 375);
    }
}

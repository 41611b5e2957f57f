using Grove.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Grove.Server.Tests.Doors.Web.BrowserPages;

namespace Grove.Server.Tests.Doors.Web;

/// <summary>
/// The browser client at a desktop size (1280×800) and a phone size (390×844): what a new user hit on the first day
/// (issue 21). A failing test leaves a screenshot of each of its pages in its output folder.
/// </summary>
// One chromium at a time: the browser test classes share a collection, so xunit does not run them side by side.
[Collection("Browser")]
public sealed class BrowserLayoutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private BrowserPages _browser = null!;
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _browser = await LaunchAsync(output);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static Task<bool> OneScreenTall(IPage page) =>
        page.EvaluateAsync<bool>("() => document.documentElement.scrollHeight <= window.innerHeight");

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public Task After_joining_the_page_is_one_screen_tall_and_the_login_form_is_gone(int width, int height) => _browser.RunAsync(async () =>
    {
        var page = await _browser.OpenAsync(_server.HttpUri, "tall", Size(width, height));
        await Assertions.Expect(page.Locator("#login")).ToBeHiddenAsync();
        Assert.True(await OneScreenTall(page), "the page scrolls: " + await page.EvaluateAsync<string>(
            "() => document.documentElement.scrollHeight + ' > ' + window.innerHeight"));
        // The chat starts at the top of the page, and the input is on screen.
        Assert.Equal(0, (await page.Locator("#app").BoundingBoxAsync())!.Y);
        var input = (await page.Locator("#input").BoundingBoxAsync())!;
        Assert.True(input.Y + input.Height <= height && input.X + input.Width <= width);
    });

    [Fact]
    public Task On_a_phone_the_members_pane_closes_by_its_button_a_tap_outside_Escape_and_choosing_a_member() => _browser.RunAsync(async () =>
    {
        await using var bob = await _server.JoinAsync("bob");
        var page = await _browser.OpenAsync(_server.HttpUri, "mobile", Phone);
        var pane = page.Locator("#members-pane");
        await Assertions.Expect(pane).ToBeHiddenAsync();

        await page.ClickAsync("#people");
        await Assertions.Expect(pane).ToBeVisibleAsync();
        await page.ClickAsync("#people"); // the button is not under the pane
        await Assertions.Expect(pane).ToBeHiddenAsync();

        await page.ClickAsync("#people");
        await Assertions.Expect(pane).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(pane).ToBeHiddenAsync();

        await page.ClickAsync("#people");
        await Assertions.Expect(pane).ToBeVisibleAsync();
        await page.Mouse.ClickAsync(20, 500); // on the chat, left of the pane
        await Assertions.Expect(pane).ToBeHiddenAsync();

        await page.ClickAsync("#people");
        await page.ClickAsync("#members li >> text=bob");
        await Assertions.Expect(pane).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("bob");
        await Say(page, "hello bob");
        await bob.ExpectAsync("^\\[private\\] mobile: hello bob$");

        // The rooms pane behaves the same, and opening one pane closes the other.
        await page.ClickAsync("#people");
        await page.ClickAsync("#menu");
        await Assertions.Expect(pane).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#sidebar")).ToBeVisibleAsync();
        await page.ClickAsync("#menu");
        await Assertions.Expect(page.Locator("#sidebar")).ToBeHiddenAsync();
    });

    [Fact]
    public Task On_a_desktop_the_members_stay_in_view_when_one_is_chosen() => _browser.RunAsync(async () =>
    {
        await using var bob = await _server.JoinAsync("bob");
        var page = await _browser.OpenAsync(_server.HttpUri, "wide", Desktop);
        await Assertions.Expect(page.Locator("#people")).ToBeHiddenAsync();
        await page.ClickAsync("#members li >> text=bob");
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("bob");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#members-pane")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#sidebar")).ToBeVisibleAsync();
    });

    [Fact]
    public Task Kicked_from_the_room_on_screen_the_page_moves_to_another_room_and_says_who_kicked_you() => _browser.RunAsync(async () =>
    {
        await using var mod = await _server.JoinAsync("mod");
        await mod.SendAsync("/join #den"); // its first member is its operator
        await mod.ExpectAsync("^\\* You joined #den");
        var page = await _browser.OpenAsync(_server.HttpUri, "kim", Desktop);
        await Say(page, "/join #den");
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#den");
        await mod.SendAsync("/kick kim rude");
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
        await Assertions.Expect(Message(page, "You were kicked from #den by mod (rude)")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rooms li", new() { HasTextString = "#den" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#members li", new() { HasTextString = "mod" })).ToHaveCountAsync(0);
    });

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public Task A_registered_name_that_is_online_asks_for_the_password_and_the_password_joins_them(int width, int height) => _browser.RunAsync(async () =>
    {
        await using var elsewhere = await _server.RegisteredAsync("alicia", "a long enough secret");
        var page = await _browser.OpenAsync(_server.HttpUri, null, Size(width, height));
        await page.FillAsync("#name", "alicia");
        await page.ClickAsync("#login-button");
        // One line that asks for the password, not "already taken", and the cursor in the password field.
        await Assertions.Expect(page.Locator("#name-error")).ToContainTextAsync("password");
        await Assertions.Expect(page.Locator("#name-error")).Not.ToContainTextAsync("taken");
        await Assertions.Expect(page.Locator("#password")).ToBeFocusedAsync();
        await _browser.ScreenshotAsync(page, nameof(A_registered_name_that_is_online_asks_for_the_password_and_the_password_joins_them), $"asks-{width}x{height}");
        await page.Keyboard.TypeAsync("a long enough secret");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#view-title")).ToHaveTextAsync("#lobby");
        await Assertions.Expect(Message(page, "You are logged in as alicia.")).ToBeVisibleAsync();
        await using var watcher = await _server.JoinAsync("watcher");
        await Say(page, "seen by the watcher");
        await watcher.ExpectAsync("^alicia: seen by the watcher$");
    });

    [Fact]
    public Task A_guest_name_that_is_taken_does_not_ask_for_a_password() => _browser.RunAsync(async () =>
    {
        await using var other = await _server.JoinAsync("erin");
        var page = await _browser.OpenAsync(_server.HttpUri, null, Phone);
        await page.FillAsync("#name", "erin");
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#name-error")).ToHaveTextAsync("The name \"erin\" is already taken.");
        await Assertions.Expect(page.Locator("#name")).ToBeFocusedAsync();
    });

    [Fact]
    public Task Each_tab_reconnects_as_whoever_it_was_after_a_server_restart() => _browser.RunAsync(async () =>
    {
        var ports = new[] { TestPorts.Free(), TestPorts.Free(), TestPorts.Free() };
        using var folder = new TempFolder();
        void Ports(Grove.Server.Hosting.GroveServerOptions o) { o.Port = ports[0]; o.IrcPort = ports[1]; o.HttpPort = ports[2]; }
        var first = await TestServer.StartAsync(Ports, folder);
        await using (var owner = await first.RegisteredAsync("alicia", "a long enough secret"))
        {
            await owner.SendAsync("/quit");
            await owner.ReadUntilClosedAsync();
        }
        // Two tabs of one browser: a guest, then the account.
        var browser = await _browser.ContextAsync(Desktop);
        var guest = await _browser.TabAsync(browser, first.HttpUri);
        await JoinAsync(guest, "erin");
        var account = await _browser.TabAsync(browser, first.HttpUri);
        await JoinAsync(account, "alicia", "a long enough secret");
        await Assertions.Expect(Message(account, "You are logged in as alicia.")).ToBeVisibleAsync();

        await first.DisposeAsync();
        await Assertions.Expect(guest.Locator("#status")).ToContainTextAsync("reconnecting");
        await using var second = await TestServer.StartAsync(Ports, folder);
        foreach (var tab in new[] { guest, account })
        {
            await Assertions.Expect(tab.Locator("#status")).ToHaveTextAsync("Connected", new() { Timeout = 20_000 });
            await Assertions.Expect(Message(tab, "Reconnected.")).ToBeVisibleAsync();
        }
        await using var watcher = await second.JoinAsync("watcher");
        await watcher.SendAsync("/who");
        await watcher.ExpectAsync("^\\* Online \\(3\\): alicia, erin, watcher$");
        await Say(guest, "still erin");
        await watcher.ExpectAsync("^erin: still erin$");
        await Say(account, "still alicia");
        await watcher.ExpectAsync("^alicia: still alicia$");
    });

    [Fact]
    public Task Help_in_the_browser_lists_what_works_in_the_browser() => _browser.RunAsync(async () =>
    {
        var page = await _browser.OpenAsync(_server.HttpUri, "helpme", Desktop);
        await Say(page, "/help");
        var help = page.Locator(".msg.notice", new() { HasTextString = "Commands:" });
        await Assertions.Expect(help).ToBeVisibleAsync();
        var text = await help.InnerTextAsync();
        Assert.Contains("/logout", text);
        Assert.Contains("/quit", text);
        Assert.Contains("/msg NAME TEXT", text);
        foreach (var terminalOnly in new[] { "bye", "exit", "@leaves", "!logout", "@grove", "!who", "!msg", "@bamboo", "!help" })
            Assert.DoesNotContain(terminalOnly, text);
    });

    // Also makes the README's pictures: GROVE_README_SHOTS=docs copies them there (docs/web-client*.png).
    [Fact]
    public Task A_conversation_fits_the_desktop_and_the_phone_and_makes_the_readme_pictures() => _browser.RunAsync(async () =>
    {
        await using var carl = await _server.JoinAsync("carl");
        await using var dave = await _server.JoinAsync("dave");
        var alice = await _browser.OpenAsync(_server.HttpUri, "alice", Desktop);
        var bob = await _browser.OpenAsync(_server.HttpUri, "bob", Phone);
        await Say(alice, "/topic Tomatoes, beans and the autumn plan 🌱");
        await Say(alice, "Morning! The tomatoes on the south bed are finally turning red 🍅");
        await carl.SendAsync("Nice. Did the netting keep the birds off?");
        await Say(bob, "Mostly. I'll bring more netting on Saturday.");
        await dave.SendAsync("/me waves from a terminal");
        await Say(alice, "Plan and photos: https://example.org/garden/autumn");
        await Say(bob, "/msg alice can you water mine on Sunday?");
        await Assertions.Expect(alice.Locator("#privates li", new() { HasTextString = "bob" })).ToBeVisibleAsync();
        await Assertions.Expect(Message(bob, "Plan and photos")).ToBeVisibleAsync();

        foreach (var page in new[] { alice, bob })
        {
            Assert.True(await OneScreenTall(page));
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        }
        var test = nameof(A_conversation_fits_the_desktop_and_the_phone_and_makes_the_readme_pictures);
        var shots = new List<(string Path, string Name)>
        {
            (await _browser.ScreenshotAsync(alice, test, "desktop"), "web-client.png"),
            (await _browser.ScreenshotAsync(bob, test, "phone"), "web-client-phone.png"),
        };
        await bob.ClickAsync("#people");
        await Assertions.Expect(bob.Locator("#members li")).ToHaveCountAsync(4);
        shots.Add((await _browser.ScreenshotAsync(bob, test, "phone-members"), "web-client-phone-members.png"));
        if (Environment.GetEnvironmentVariable("GROVE_README_SHOTS") is { Length: > 0 } docs)
            foreach (var (path, name) in shots) File.Copy(path, System.IO.Path.Combine(docs, name), overwrite: true);
    });
}

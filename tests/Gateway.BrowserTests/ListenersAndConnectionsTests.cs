using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Creating and stopping listeners and opening outbound connections from the dashboard.</summary>
public sealed class ListenersAndConnectionsTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task NewListenerForm_CreatesALineListener_StopButtonStopsIt()
    {
        await Page.Locator("#new-listener summary").ClickAsync();
        await Page.Locator("#listener-form input[name=name]").FillAsync("ui-lines");
        await Page.Locator("#listener-form select[name=framing]").SelectOptionAsync("line");
        await Page.Locator("#listener-form button[type=submit]").ClickAsync();

        var card = Page.Locator("#listeners [data-listener-id='ui-lines']");
        await Expect(card).ToContainTextAsync("listening", Soon);
        await Expect(card).ToContainTextAsync("line", Soon);
        var listener = await App.GetAsync<WireListener>("/api/listeners/ui-lines");
        Assert.Equal("line", listener.Framing);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendTextAsync("alpha\nbeta\n");
        var session = await App.SessionOfAsync(client);
        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#messages .msg.in")).ToHaveCountAsync(2, new() { Timeout = 10_000 });

        await card.Locator(".stop-listener").ClickAsync();
        await Expect(card).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        Assert.Empty(await client.ReceiveToEndAsync());
        Assert.DoesNotContain(await App.GetListenersAsync(), l => l.Id == "ui-lines");
    }

    [ChromiumFact]
    public async Task ConnectToForm_OpensAnOutboundSession_ComposerTalksToTheServer()
    {
        using var server = new LoopbackServer();
        var accepting = server.AcceptAsync();

        await Page.Locator("#connect-to summary").ClickAsync();
        await Page.Locator("#connect-form input[name=host]").FillAsync("127.0.0.1");
        await Page.Locator("#connect-form input[name=port]").FillAsync(server.Port.ToString());
        await Page.Locator("#connect-form button[type=submit]").ClickAsync();
        using var peer = await accepting.Within();

        // The new session is selected: what the server says shows up, the composer reaches the server.
        await Expect(Page.Locator("#session-meta")).ToContainTextAsync("outbound", Soon);
        await peer.SendTextAsync("server banner\n");
        await Expect(Page.Locator("#messages .msg.in")).ToContainTextAsync("server banner", Soon);
        await Page.Locator("#composer-text").FillAsync("client says hi");
        await Page.Locator("#composer-send").ClickAsync();
        Assert.Equal("client says hi", Encoding.ASCII.GetString(await peer.ReceiveExactlyAsync(14)));
        await Expect(Page.Locator("#sessions .badge.outbound")).ToHaveCountAsync(1, new() { Timeout = 10_000 });

        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-outbound.png"), FullPage = true });
    }

    [ChromiumFact]
    public async Task TutorialChatServer_ChatsWithTheDashboard()
    {
        int port;
        using (var probe = new PortSquatter())
        {
            port = probe.Port;
        }

        using var server = TutorialScript.Start("chat_server.py", port.ToString(), "127.0.0.1");
        await Page.Locator("#connect-to summary").ClickAsync();
        await Page.Locator("#connect-form input[name=port]").FillAsync(port.ToString());

        // The script needs a moment to bind (it accepts one connection, so it cannot be probed first):
        // submit until the dashboard shows the new session; a 502 just means "not yet".
        var submit = Page.Locator("#connect-form button[type=submit]");
        var opened = Page.Locator("#session-view:not([hidden])");
        for (var attempt = 0; attempt < 40 && !await opened.IsVisibleAsync(); attempt++)
        {
            await submit.ClickAsync();
            await Expect(submit).ToBeEnabledAsync();
            await Task.Delay(attempt == 0 ? 0 : 250);
        }

        await Expect(Page.Locator("#session-meta")).ToContainTextAsync("outbound", Soon);
        await Page.Locator("#composer-text").FillAsync("hello from the dashboard");
        await Page.Locator("#composer-send").ClickAsync();
        await server.TypeAsync("hello from python");

        await Expect(Page.Locator("#messages .msg.in")).ToContainTextAsync("hello from python", Soon);
        await Page.Locator("#close-session").ClickAsync();
        await server.WaitForExitAsync();
        Assert.Contains("from connected user: hello from the dashboard", await server.Output.Within());
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-tutorial-server.png"), FullPage = true });
    }

    [ChromiumFact]
    public async Task RelayListenerFromTheForm_ComposerCanTalkToTheUpstream()
    {
        using var upstream = new LoopbackServer();
        var accepting = upstream.AcceptAsync();
        await Page.Locator("#new-listener summary").ClickAsync();
        await Page.Locator("#listener-form input[name=name]").FillAsync("ui-relay");
        await Page.Locator("#listener-form input[name=upstream]").FillAsync($"127.0.0.1:{upstream.Port}");
        await Page.Locator("#listener-form button[type=submit]").ClickAsync();
        await Expect(Page.Locator("#listeners [data-listener-id='ui-relay']")).ToContainTextAsync($"⇄ 127.0.0.1:{upstream.Port}", Soon);

        var relay = await App.GetAsync<WireListener>("/api/listeners/ui-relay");
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        using var server = await accepting.Within();
        await client.SendTextAsync("GET /status\n");
        Assert.Equal("GET /status\n", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(12)));
        var session = await App.SessionOfAsync(client);

        await SessionRow(session.Id).ClickAsync();
        await Expect(Page.Locator("#session-meta")).ToContainTextAsync("upstream 127.0.0.1", Soon);
        await Page.Locator("#composer-target").SelectOptionAsync("upstream");
        await Page.Locator("#composer-text").FillAsync("X-Injected: yes");
        await Page.Locator("#composer-send").ClickAsync();

        Assert.Equal("X-Injected: yes", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(15)));
        await Expect(Page.Locator("#messages .msg.in")).ToHaveCountAsync(2, new() { Timeout = 10_000 });
    }

    [ChromiumFact]
    public async Task InterceptedMessage_EditedInTheBrowser_UpstreamReceivesTheEdit()
    {
        using var upstream = new LoopbackServer();
        var accepting = upstream.AcceptAsync();
        var relay = await App.CreateListenerAsync(new { name = "ui-intercept", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        var card = Page.Locator("#listeners [data-listener-id='ui-intercept']");
        await card.Locator(".intercept input[name=match]").FillAsync("password");
        await card.Locator(".intercept input[name=enabled]").CheckAsync();
        await Expect(card.Locator(".intercept input[name=enabled]")).ToBeCheckedAsync();
        await Timeouts.Eventually(async () =>
            (await App.GetAsync<WireIntercept>("/api/listeners/ui-intercept/intercept")) is { Enabled: true, Match: "password" } rule ? rule : null,
            "interception to be on");

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        using var server = await accepting.Within();
        await client.SendTextAsync("user=ann password=hunter2");

        var item = Page.Locator("#held .held");
        await Expect(item).ToContainTextAsync("password=hunter2", Soon);
        await item.Locator(".held-edit").ClickAsync();
        await item.Locator(".held-editor").FillAsync("user=ann password=********");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-held.png"), FullPage = true });
        await item.Locator(".held-forward").ClickAsync();

        Assert.Equal("user=ann password=********", Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(26)));
        await Expect(Page.Locator("#held")).ToBeHiddenAsync(new() { Timeout = 10_000 });
    }

    [ChromiumFact]
    public async Task BinaryHeldMessages_EditedAsHexOrForwardedUntouched_ArriveByteForByte()
    {
        using var upstream = new LoopbackServer();
        var accepting = upstream.AcceptAsync();
        var relay = await App.CreateListenerAsync(new { name = "ui-binary", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        (await App.Http.PutAsync("/api/listeners/ui-binary/intercept", new StringContent("{\"enabled\":true,\"direction\":\"in\"}", Encoding.UTF8, "application/json")).Within()).EnsureSuccessStatusCode();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        using var server = await accepting.Within();
        byte[] first = [0x01, 0xff, 0xfe, 0x61, 0x00, 0x80, 0xc3];

        // Not UTF-8: the editor opens in hex, text is off, and forwarding without a change sends the bytes as held.
        await client.SendAllAsync(first);
        var item = Page.Locator("#held .held").First;
        await Expect(item).ToContainTextAsync("7 bytes", Soon);
        await item.Locator(".held-edit").ClickAsync();
        await Expect(item.Locator(".held-mode")).ToHaveValueAsync("hex", new() { Timeout = 10_000 });
        await Expect(item.Locator(".held-mode option[value=utf8]")).ToBeDisabledAsync();
        await Expect(item.Locator(".held-editor")).ToHaveValueAsync("01 ff fe 61 00 80 c3", new() { Timeout = 10_000 });
        await item.Locator(".held-forward").ClickAsync();
        Assert.Equal(first, await server.ReceiveExactlyAsync(first.Length));
        await Expect(Page.Locator("#held")).ToBeHiddenAsync(new() { Timeout = 10_000 });

        // Edited as hex: exactly the bytes typed; switched to base64 and back, the edit survives.
        await client.SendAllAsync(first);
        item = Page.Locator("#held .held").First;
        await Expect(item).ToContainTextAsync("7 bytes", Soon);
        await item.Locator(".held-edit").ClickAsync();
        await item.Locator(".held-editor").FillAsync("02 ff fe 62 00 80 c3 ff");
        await item.Locator(".held-mode").SelectOptionAsync("base64");
        await Expect(item.Locator(".held-editor")).ToHaveValueAsync(Convert.ToBase64String(new byte[] { 0x02, 0xff, 0xfe, 0x62, 0x00, 0x80, 0xc3, 0xff }), new() { Timeout = 10_000 });
        await item.Locator(".held-mode").SelectOptionAsync("hex");
        await item.Locator(".held-forward").ClickAsync();
        Assert.Equal(new byte[] { 0x02, 0xff, 0xfe, 0x62, 0x00, 0x80, 0xc3, 0xff }, await server.ReceiveExactlyAsync(8));

        // Valid UTF-8 with characters beyond ASCII: edited as text, nothing else changes.
        await client.SendTextAsync("température: 21 °C ✓");
        item = Page.Locator("#held .held").First;
        await Expect(item).ToContainTextAsync("température", Soon);
        await item.Locator(".held-edit").ClickAsync();
        await Expect(item.Locator(".held-mode")).ToHaveValueAsync("utf8", new() { Timeout = 10_000 });
        await item.Locator(".held-editor").FillAsync("température: 22 °C ✓");
        await item.Locator(".held-forward").ClickAsync();
        var expected = Encoding.UTF8.GetBytes("température: 22 °C ✓");
        Assert.Equal(expected, await server.ReceiveExactlyAsync(expected.Length));
    }

    [ChromiumFact]
    public async Task FaultPanel_AddsALatencyFault_AndRemovesIt()
    {
        using var upstream = new LoopbackServer();
        await App.CreateListenerAsync(new { name = "ui-faults", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        var card = Page.Locator("#listeners [data-listener-id='ui-faults']");
        await card.Locator(".faults summary").ClickAsync();
        await card.Locator(".fault-form select[name=type]").SelectOptionAsync("latency");
        await card.Locator(".fault-form select[name=direction]").SelectOptionAsync("in");
        await card.Locator(".fault-form input[name=ms]").FillAsync("250");
        await card.Locator(".fault-form button[type=submit]").ClickAsync();

        await Expect(card.Locator(".fault-chip").Or(Page.Locator("#toast.error"))).ToBeVisibleAsync(new() { Timeout = 10_000 });
        Assert.False(await Page.Locator("#toast.error").IsVisibleAsync(), await Page.Locator("#toast").TextContentAsync());
        await Expect(card.Locator(".fault-chip")).ToContainTextAsync("latency in ms=250", Soon);
        var fault = Assert.Single(await App.GetAsync<WireFault[]>("/api/listeners/ui-faults/faults"));
        Assert.Equal(("latency", "in", 250), (fault.Type, fault.Direction, fault.Ms));

        await card.Locator(".fault-chip button").ClickAsync();
        await Expect(card.Locator(".fault-chip")).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        Assert.Empty(await App.GetAsync<WireFault[]>("/api/listeners/ui-faults/faults"));
    }

    [ChromiumFact]
    public async Task ConnectToForm_Refused_ShowsTheReason()
    {
        int port;
        using (var probe = new PortSquatter())
        {
            port = probe.Port;
        }

        await Page.Locator("#connect-to summary").ClickAsync();
        await Page.Locator("#connect-form input[name=port]").FillAsync(port.ToString());
        await Page.Locator("#connect-form button[type=submit]").ClickAsync();

        await Expect(Page.Locator("#toast")).ToContainTextAsync("refused", Soon);
    }
}

using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Decoder "layout": a Kaitai Struct layout typed on a listener, compiled and run by the dashboard.</summary>
public sealed class LayoutTests(ITestOutputHelper output) : DashboardTest(output)
{
    private const string SensorFrame = """
        meta:
          id: sensor_frame
          endian: be
        seq:
          - id: magic
            contents: [0xca, 0xfe]
          - id: kind
            type: u1
            enum: kinds
          - id: count
            type: u1
          - id: readings
            type: reading
            repeat: expr
            repeat-expr: count
        types:
          reading:
            seq:
              - id: channel
                type: u1
              - id: value
                type: s2
        enums:
          kinds:
            1: temperature
            2: humidity
        """;

    [ChromiumFact]
    public async Task KsyTypedOnAListener_CompilerErrorsShownThere_ThenMessagesDecodeWithIt()
    {
        var listener = await App.CreateListenerAsync(new { name = "ui-ksy", protocol = "tcp", port = 0, decoder = "layout" });
        var card = Page.Locator("#listeners [data-listener-id='ui-ksy']");
        await card.Locator(".layout-panel summary").ClickAsync();
        var text = card.Locator(".layout-text");
        var error = card.Locator(".layout-error");

        // The dashboard re-renders the listener cards on every poll: the caret stays where the user types.
        await text.FocusAsync();
        var total = await Page.Locator("#stat-total").TextContentAsync();
        using (await App.ConnectTcpAsync())
        {
            await Expect(Page.Locator("#stat-total")).Not.ToHaveTextAsync(total!, new() { Timeout = 10_000 }); // a poll has run since
        }

        Assert.True(await text.EvaluateAsync<bool>("t => document.activeElement === t"), "the layout text lost the focus to a poll");

        // The Kaitai compiler's own complaint, under the text, and nothing saved.
        await text.FillAsync(SensorFrame.Replace("type: s2", "type: s9"));
        await card.Locator(".save-layout").ClickAsync();
        await Expect(error).ToContainTextAsync("unable to find type 's9'", new() { Timeout = 30_000 });
        await Expect(text).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Equal(HttpStatusCode.NotFound, (await App.Http.GetAsync("/api/listeners/ui-ksy/layout").Within()).StatusCode);

        // YAML that does not parse: its message with the line, the caret put on that line.
        await text.FillAsync("meta:\n  id: x\n seq: [\n");
        await card.Locator(".save-layout").ClickAsync();
        await Expect(error).ToContainTextAsync("YAML", Soon);
        await Expect(error).ToContainTextAsync("(3:", Soon);

        await text.FillAsync(SensorFrame);
        await card.Locator(".save-layout").ClickAsync();
        await Expect(card.Locator(".layout-status")).ToHaveTextAsync("compiled sensor_frame and saved", new() { Timeout = 30_000 });
        await Expect(error).ToBeHiddenAsync();
        Assert.Contains("id: sensor_frame", await App.Http.GetStringAsync("/api/listeners/ui-ksy/layout").Within());

        // A frame: magic, kind 1, two readings (channel 1: 42, channel 2: -2).
        byte[] frame = [0xca, 0xfe, 0x01, 0x02, 0x01, 0x00, 0x2a, 0x02, 0xff, 0xfe];
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await client.SendAsync(frame).Within();
        var session = await App.SessionOfAsync(client);
        await App.MessagesUntilAsync(session.Id, m => m.Length == 1, "the frame");
        await SessionRow(session.Id).ClickAsync();
        var summary = Page.Locator("#messages .msg.in .summary");
        await Expect(summary).ToContainTextAsync("sensor_frame", new() { Timeout = 30_000 });
        await Expect(summary).ToContainTextAsync("kind=1 (temperature) count=2", Soon);

        // The tree like any decoder's: the second reading's value covers its two bytes.
        await summary.ClickAsync();
        var panel = Page.Locator("#messages .msg.in .decoded");
        var value = panel.Locator(".field[data-offset='8'][data-length='2']");
        await Expect(value).ToHaveTextAsync("value: -2", new() { Timeout = 10_000 });
        await value.ClickAsync();
        await Expect(panel.Locator(".byte.highlight")).ToHaveCountAsync(2, new() { Timeout = 10_000 });
        Assert.Equal("fffe", string.Concat(await panel.Locator(".byte.highlight").AllTextContentsAsync()));

        // A frame cut short: the tree ends in an error node where the bytes ran out.
        await client.SendAsync(new byte[] { 0xca, 0xfe, 0x02, 0x05, 0x01 }).Within();
        var cut = Page.Locator("#messages .msg.in .summary").Nth(1);
        await Expect(cut).ToContainTextAsync("(not sensor_frame:", new() { Timeout = 10_000 });
    }

    [ChromiumFact]
    public async Task ListenerForm_ChoosesADecoder_AndWiresharksDecodeAs()
    {
        await Page.Locator("#new-listener summary").ClickAsync();
        await Page.Locator("#listener-form input[name=name]").FillAsync("ui-dissected");
        var decodeAs = Page.Locator("#listener-form input[name=decodeAs]");
        await Expect(decodeAs).ToBeHiddenAsync();
        await Expect(Page.Locator("#listener-form select[name=decoder] option[value=wireshark]")).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Page.Locator("#listener-form select[name=decoder]").SelectOptionAsync("wireshark");
        await decodeAs.FillAsync("tcp.port==1883,mqtt");
        await Page.Locator("#listener-form button[type=submit]").ClickAsync();

        await Expect(Page.Locator("#listeners [data-listener-id='ui-dissected']")).ToContainTextAsync("wireshark (tcp.port==1883,mqtt)", Soon);
        var listener = await App.GetAsync<System.Text.Json.JsonElement>("/api/listeners/ui-dissected");
        Assert.Equal(("wireshark", "tcp.port==1883,mqtt"), (listener.GetProperty("decoder").GetString(), listener.GetProperty("decodeAs").GetString()));

        // The card's chooser changes it later; its decode-as box shows only for wireshark.
        var card = Page.Locator("#listeners [data-listener-id='ui-dissected']");
        await Expect(card.Locator(".listener-decoder")).ToHaveValueAsync("wireshark", new() { Timeout = 10_000 });
        await Expect(card.Locator(".listener-decode-as")).ToHaveValueAsync("tcp.port==1883,mqtt", new() { Timeout = 10_000 });
        await card.Locator(".listener-decoder").SelectOptionAsync("resp");
        await Expect(card.Locator(".listener-decode-as")).ToBeHiddenAsync();
        await Timeouts.Eventually(async () =>
            (await App.GetAsync<System.Text.Json.JsonElement>("/api/listeners/ui-dissected")).GetProperty("decoder").GetString() == "resp" ? (object)true : null, "the listener's new decoder");
        await Expect(card).ToContainTextAsync("· resp", Soon);
    }
}

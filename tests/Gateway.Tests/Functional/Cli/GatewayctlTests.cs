using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Cli;

/// <summary>The real gatewayctl against a real gateway: live traffic, commands, export, and refusals a script can test.</summary>
public sealed class GatewayctlTests
{
    [Fact]
    public async Task Tail_PrintsWhatASocketClientSends_OneLineEach_AndExitsCleanlyOnCtrlC()
    {
        await using var app = await GatewayApp.StartAsync();
        using var tail = CliProcess.Start(new Dictionary<string, string> { ["GATEWAY_URL"] = app.BaseAddress.ToString() }, "tail", "--listener", "tcp");
        await tail.StderrLineAsync(l => l.StartsWith("watching listener:tcp", StringComparison.Ordinal), "that it is watching");

        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("hello from a device\r\n");
        var line = await tail.StdoutLineAsync(l => l.Contains("hello from a device"), "the message");
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3}  s\d+ #\d+  IN →\s+21 B  hello from a device\\r\\n$", line);
        await client.SendAsync(new byte[] { 0x00, 0xff, 0x10 }).Within();
        Assert.Contains("00ff10", await tail.StdoutLineAsync(l => l.Contains("3 B"), "the binary message"));

        tail.Interrupt();
        Assert.Equal(0, await tail.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Send_ReachesThePeer_ListsTablesAndJson_ListenCloseAndReplay()
    {
        await using var app = await GatewayApp.StartAsync();
        var url = app.BaseAddress.ToString();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("first");
        var session = await app.SessionOfAsync(client);

        var (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "send", session.Id.ToString(), "ping\n");
        Assert.True(code == 0, error);
        Assert.Equal($"sent 5 bytes to session {session.Id}", output.Trim());
        Assert.Equal("ping\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(5)));
        (code, _, error) = await CliProcess.RunAsync(null, "--url", url, "send", session.Id.ToString(), "00 01 ff", "--hex");
        Assert.True(code == 0, error);
        Assert.Equal(new byte[] { 0x00, 0x01, 0xff }, await client.ReceiveExactlyAsync(3));

        (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "nodes"); // a gateway on its own: one node, no NODE columns below
        Assert.True(code == 0, error);
        Assert.Equal(["local", "active"], output.Trim().Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3].Where((_, i) => i != 1));
        (code, output, _) = await CliProcess.RunAsync(null, "--url", url, "sessions");
        Assert.DoesNotContain("NODE", output.Split('\n')[0]);
        Assert.Equal(0, code);
        Assert.Matches($@"(?m)^{session.Id}\s+tcp\s+accepted\s+tcp\s+127\.0\.0\.1:\d+\s+open\s+5\s+8$", output);
        (code, output, _) = await CliProcess.RunAsync(null, "--url", url, "sessions", "--json");
        Assert.Equal(0, code);
        Assert.Contains(JsonDocument.Parse(output).RootElement.EnumerateArray(), s => s.GetProperty("id").GetInt64() == session.Id);
        (code, output, _) = await CliProcess.RunAsync(null, "--url", url, "listeners");
        Assert.Equal(0, code);
        Assert.Matches(@"(?m)^tcp\s+tcp\s+127\.0\.0\.1:\d+\s+listening", output);

        // A relay made from the command line, to an echo server.
        using var echo = new EchoServer();
        (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "listen", "--name", "cli-relay", "--port", "0", "--upstream", $"127.0.0.1:{echo.Port}");
        Assert.True(code == 0, error);
        Assert.Matches(@"^listening: cli-relay tcp 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+$", output.Trim());
        Assert.Equal("listening", (await app.GetAsync<JsonElement>("/api/listeners/cli-relay")).GetProperty("state").GetString());

        // Replay what the client sent to the echo server (a new outbound session); then close the session.
        (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "--json", "replay", session.Id.ToString(), "--to", $"127.0.0.1:{echo.Port}");
        Assert.True(code == 0, error);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(output).RootElement.ValueKind);
        await Timeouts.Eventually(() => Task.FromResult(echo.Connections >= 1 ? (object)true : null), "the replay's connection");
        (code, output, error) = await CliProcess.RunAsync(null, "--url", url, "close", session.Id.ToString());
        Assert.True(code == 0, error);
        Assert.Equal($"closed session {session.Id}", output.Trim());
        Assert.Equal(0, await client.ReceiveAsync(new byte[1], System.Net.Sockets.SocketFlags.None).Within()); // the gateway closed it (FIN)
    }

    [Fact]
    public async Task Export_WritesAPcapngThatTsharkReads()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = await app.ConnectTcpAsync();
        await client.SendTextAsync("exported bytes\n");
        var session = await app.SessionOfAsync(client);
        await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "the message");
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "s.pcapng");

        var (code, output, error) = await CliProcess.RunAsync(null, "--url", app.BaseAddress.ToString(), "export", session.Id.ToString(), "-o", file);
        Assert.True(code == 0, error);
        Assert.StartsWith("wrote ", output.Trim());
        var (tshark, text, complaint) = await Tool.RunAsync("tshark", null, "-r", file, "-qz", "follow,tcp,ascii,0");
        Assert.True(tshark == 0, complaint);
        Assert.Contains("exported bytes", text);
    }

    [Fact]
    public async Task Refusals_AreOneLine_WithExitCodesAScriptCanTest()
    {
        await using var app = await GatewayApp.StartAsync(Keys.Settings(), Keys.Viewer);
        var url = app.BaseAddress.ToString();

        var (code, output, error) = await CliProcess.RunAsync(new Dictionary<string, string> { ["GATEWAY_KEY"] = "wrong-key-0123456789" }, "--url", url, "sessions");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Matches(@"^gatewayctl: 401 [^\n]+$", error.Trim());

        // The right key reads; a viewer may not send (403), and an unknown session is 404: both refusals, exit 2.
        (code, _, error) = await CliProcess.RunAsync(new Dictionary<string, string> { ["GATEWAY_KEY"] = Keys.Viewer }, "--url", url, "sessions");
        Assert.True(code == 0, error);
        (code, _, error) = await CliProcess.RunAsync(null, "--url", url, "--key", Keys.Viewer, "send", "1", "x");
        Assert.Equal(2, code);
        Assert.StartsWith("gatewayctl: 403", error.Trim());
        (code, _, error) = await CliProcess.RunAsync(null, "--url", url, "--key", Keys.Admin, "close", "999999");
        Assert.Equal(2, code);
        Assert.StartsWith("gatewayctl: 404", error.Trim());

        // Nothing listening: unreachable (3); a wrong command line: usage (1).
        (code, _, error) = await CliProcess.RunAsync(null, "--url", $"http://127.0.0.1:{ServerProcess.FreeTcpPort()}", "listeners");
        Assert.Equal(3, code);
        Assert.StartsWith("gatewayctl: cannot reach the gateway", error.Trim());
        (code, _, _) = await CliProcess.RunAsync(null, "send", "not-a-number", "x");
        Assert.Equal(1, code);
    }
}

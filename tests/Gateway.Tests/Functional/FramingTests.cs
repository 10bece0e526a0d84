using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>Per-listener and per-connection framing over real sockets.</summary>
public sealed class FramingTests
{
    [Fact]
    public async Task LineListener_OneMessagePerLine_TailAtClose()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Listeners:0:Framing"] = "line",
        });
        using var client = await app.ConnectTcpAsync();

        await client.SendTextAsync("first li");
        await Task.Delay(50);
        await client.SendTextAsync("ne\nsecond\r\nthi");
        await Task.Delay(50);
        await client.SendTextAsync("rd\nno newline");
        var session = await app.SessionOfAsync(client);
        await app.MessagesUntilAsync(session.Id, m => m.Length == 3, "three lines");
        client.Shutdown(SocketShutdown.Send);

        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 4, "the tail at close");
        Assert.Equal(["first line\n", "second\r\n", "third\n", "no newline"], messages.Select(m => Encoding.ASCII.GetString(m.Data)));
        Assert.Equal("line", session.Framing);
    }

    [Fact]
    public async Task LineListener_LineLongerThanMax_IsCut()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Listeners:0:Framing"] = "line",
            ["Gateway:Framing:MaxFrameBytes"] = "10",
        });
        using var client = await app.ConnectTcpAsync();

        await client.SendTextAsync("0123456789abcdefghij0123\n");

        var session = await app.SessionOfAsync(client);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 3, "three cuts");
        Assert.Equal(["0123456789", "abcdefghij", "0123\n"], messages.Select(m => Encoding.ASCII.GetString(m.Data)));
    }

    [Theory]
    [InlineData("len16", 2)]
    [InlineData("len32", 4)]
    public async Task LengthPrefixedListener_PayloadsWithoutPrefix_InjectedDataGetsOne(string framing, int prefix)
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = framing, protocol = "tcp", port = 0, framing });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();

        // Two frames, sent a byte at a time for the first, together for the second.
        var wire = Frame(prefix, "hello").Concat(Frame(prefix, "world!")).ToArray();
        for (var i = 0; i < prefix + 5; i++)
        {
            await client.SendAllAsync([wire[i]]);
        }

        await client.SendAllAsync(wire[(prefix + 5)..]);
        var session = await app.SessionOfAsync(client);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 2, "two frames");
        Assert.Equal(["hello", "world!"], messages.Select(m => Encoding.ASCII.GetString(m.Data)));

        await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "reply" });
        Assert.Equal(Frame(prefix, "reply"), await client.ReceiveExactlyAsync(prefix + 5));
        var stored = await app.MessagesUntilAsync(session.Id, m => m.Length == 3, "the injected frame");
        Assert.Equal("reply", Encoding.ASCII.GetString(stored[2].Data));
    }

    [Fact]
    public async Task LengthPrefixed_DeclaredLengthOverMax_ClosesWithReason()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Listeners:0:Framing"] = "len32",
            ["Gateway:Framing:MaxFrameBytes"] = "1024",
        });
        using var client = await app.ConnectTcpAsync();

        await client.SendAllAsync([0x00, 0x10, 0x00, 0x00, 1, 2, 3]);

        var closed = await app.SessionOfAsync(client, "closed");
        Assert.Contains("framing error", closed.CloseReason);
        Assert.Contains("1048576", closed.CloseReason);
        Assert.Empty(await client.ReceiveToEndAsync());
    }

    [Fact]
    public async Task Len16_InjectionLargerThanAFrame_Is400()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Listeners:0:Framing"] = "len16",
            ["Gateway:Framing:MaxFrameBytes"] = "100000",
        });
        using var client = await app.ConnectTcpAsync();
        var session = await app.SessionOfAsync(client);

        var response = await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = new string('x', 70_000) });

        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest, "len16");
    }

    [Fact]
    public async Task OutboundLineFraming_CutsTheServersStream()
    {
        await using var app = await GatewayApp.StartAsync();
        using var server = new LoopbackServer();
        var accepting = server.AcceptAsync();
        var session = await app.ConnectOutAsync(new { host = "127.0.0.1", port = server.Port, framing = "line" });
        using var peer = await accepting.Within();

        await peer.SendTextAsync("a\nbb\nccc\n");

        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 3, "three lines");
        Assert.Equal(["a\n", "bb\n", "ccc\n"], messages.Select(m => Encoding.ASCII.GetString(m.Data)));
    }

    private static byte[] Frame(int prefix, string text)
    {
        var payload = Encoding.ASCII.GetBytes(text);
        var frame = new byte[prefix + payload.Length];
        if (prefix == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        }

        payload.CopyTo(frame, prefix);
        return frame;
    }
}

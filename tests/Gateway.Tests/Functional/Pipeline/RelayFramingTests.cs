using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Pipeline;

/// <summary>A framed relay cuts each direction into messages and still forwards every byte unchanged.</summary>
public sealed class RelayFramingTests
{
    [Fact]
    public async Task LineFramedRelay_MessagesAreLines_BytesIdentical_BothWays()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new LoopbackServer();
        var relay = await app.CreateListenerAsync(new { name = "lines", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", framing = "line" });
        Assert.Equal("line", relay.Framing);
        var (client, server) = await upstream.ConnectThroughAsync(relay.Port);
        using var _ = client;
        using var __ = server;

        // Lines cut across writes, several in one write, and a last one without its terminator.
        var sent = "GET a\nGET b\nGE";
        await client.SendTextAsync(sent);
        await client.SendTextAsync("T c\nno-newline");
        client.Shutdown(SocketShutdown.Send);
        var all = "GET a\nGET b\nGET c\nno-newline";
        Assert.Equal(all, Encoding.ASCII.GetString(await server.ReceiveExactlyAsync(all.Length)));
        await server.SendTextAsync("ok 1\nok 2\n");
        Assert.Equal("ok 1\nok 2\n", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(10)));

        var session = await app.SessionOfAsync(client);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 6, "six messages");
        Assert.Equal(["GET a\n", "GET b\n", "GET c\n", "no-newline"], messages.Where(m => m.Direction == "in").Select(m => Encoding.ASCII.GetString(m.Data)));
        Assert.Equal(["ok 1\n", "ok 2\n"], messages.Where(m => m.Direction == "out").Select(m => Encoding.ASCII.GetString(m.Data)));
    }

    [Fact]
    public async Task ModbusTcpFramedRelay_OneMessagePerAdu_BytesIdentical()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new LoopbackServer();
        var relay = await app.CreateListenerAsync(new
        {
            name = "modbus", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}",
            framing = new { type = "length", offset = 4, width = 2 },
        });
        Assert.Equal("length", relay.Framing);
        var (client, server) = await upstream.ConnectThroughAsync(relay.Port);
        using var _ = client;
        using var __ = server;

        // Two Read Holding Registers requests (MBAP: transaction, protocol 0, length 6, unit; PDU 03 addr qty) in one write, split oddly.
        byte[] first = [0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x0a];
        byte[] second = [0x00, 0x02, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x10, 0x00, 0x02];
        var stream = first.Concat(second).ToArray();
        await client.SendAllAsync(stream[..5]);
        await Task.Delay(50);
        await client.SendAllAsync(stream[5..17]);
        await Task.Delay(50);
        await client.SendAllAsync(stream[17..]);
        Assert.Equal(stream, await server.ReceiveExactlyAsync(stream.Length));
        // A reply: transaction 1, 3 bytes of PDU.
        byte[] reply = [0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x01, 0x03, 0x02, 0x00, 0x2a];
        await server.SendAllAsync(reply);
        Assert.Equal(reply, await client.ReceiveExactlyAsync(reply.Length));

        var session = await app.SessionOfAsync(client);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length == 3, "two requests and a reply");
        Assert.Equal(first, messages[0].Data);
        Assert.Equal(second, messages[1].Data);
        Assert.Equal("out", messages[2].Direction);
        Assert.Equal(reply, messages[2].Data);
    }

    [Fact]
    public async Task DeclaredLengthOverTheMax_ClosesTheRelaySessionWithTheReason()
    {
        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?> { ["Gateway:Framing:MaxFrameBytes"] = "100" });
        using var upstream = new LoopbackServer();
        var relay = await app.CreateListenerAsync(new { name = "big", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", framing = new { type = "length", offset = 1, width = "varint" } });
        var (client, server) = await upstream.ConnectThroughAsync(relay.Port);
        using var _ = client;
        using var __ = server;
        await client.SendAllAsync([0x30, 0xff, 0x7f]); // MQTT PUBLISH declaring 16,383 bytes
        var closed = await app.SessionOfAsync(client, "closed");
        Assert.Contains("framing error", closed.CloseReason);
        Assert.Contains("MaxFrameBytes", closed.CloseReason);
    }
}

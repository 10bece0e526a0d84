using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;
using Gateway.Tls;

namespace Gateway.Tests.Unit.Tls;

public sealed class ClientHelloTests
{
    [Fact]
    public async Task RealClientHello_GivesSniAndAlpn_AndAsksForMoreUntilWhole()
    {
        var bytes = await CaptureClientHelloAsync("example.test", ["h2", "http/1.1"]);

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Null(ClientHello.TryParse(bytes.AsSpan(0, length), out var needed));
            Assert.True(needed > length && needed <= bytes.Length);
        }

        var hello = ClientHello.TryParse(bytes, out _)!;
        Assert.Equal("example.test", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.Protocols);
    }

    [Fact]
    public async Task WithoutSniOrAlpn_BothAreAbsent()
    {
        var hello = ClientHello.TryParse(await CaptureClientHelloAsync("127.0.0.1", null), out _)!; // an IP is never sent as SNI
        Assert.Null(hello.ServerName);
        Assert.Empty(hello.Protocols);
    }

    [Theory]
    [InlineData(new byte[] { 0x47, 0x45, 0x54, 0x20, 0x2f })]          // "GET /"
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0 })] // a handshake record that is not a ClientHello
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0xff, 0xff })]          // larger than the gateway reads
    public void NotAClientHello_IsAFormatError(byte[] data) =>
        Assert.Throws<FormatException>(() => ClientHello.TryParse(data, out _));

    /// <summary>What a .NET TLS client sends first, read raw off a loopback socket.</summary>
    private static async Task<byte[]> CaptureClientHelloAsync(string host, string[]? protocols)
    {
        using var listener = new LoopbackServer();
        var accepting = listener.AcceptAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        using var server = await accepting.Within();
        using var ssl = new SslStream(new NetworkStream(client));
        var handshake = ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ApplicationProtocols = protocols?.Select(p => new SslApplicationProtocol(p)).ToList(),
        });

        var buffer = new byte[ClientHello.MaxBytes];
        var have = 0;
        while (ClientHello.TryParse(buffer.AsSpan(0, have), out var needed) is null)
        {
            have += await server.ReceiveAsync(buffer.AsMemory(have, Math.Max(1, needed - have))).Within();
        }

        server.Close(); // the handshake fails; only its first message was wanted
        await Assert.ThrowsAnyAsync<Exception>(() => handshake.Within());
        return buffer[..have];
    }
}

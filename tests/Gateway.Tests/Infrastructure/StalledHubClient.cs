using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A hub client that completes the SignalR handshake, watches a scope, and then never reads again, over
/// a socket with a tiny receive buffer: the server's writes to it soon block, as with a frozen browser tab.
/// </summary>
internal sealed class StalledHubClient : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket = new();
    private readonly HttpMessageInvoker _invoker;

    private StalledHubClient()
    {
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
    }

    public static async Task<StalledHubClient> ConnectAsync(Uri baseAddress, string scope)
    {
        var client = new StalledHubClient();
        var uri = new UriBuilder(new Uri(baseAddress, "/hubs/traffic")) { Scheme = "ws" }.Uri;
        await client._socket.ConnectAsync(uri, client._invoker, CancellationToken.None).Within();
        await client.SendAsync("{\"protocol\":\"json\",\"version\":1}");
        await client.ReceiveFrameAsync(); // handshake response
        await client.SendAsync($"{{\"type\":1,\"invocationId\":\"1\",\"target\":\"Watch\",\"arguments\":[\"{scope}\"]}}");
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        _invoker.Dispose();
        await Task.CompletedTask;
    }

    private Task SendAsync(string message) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(message + RecordSeparator), WebSocketMessageType.Text, true, CancellationToken.None).Within();

    private async Task ReceiveFrameAsync()
    {
        var buffer = new byte[1024];
        await _socket.ReceiveAsync(buffer, CancellationToken.None).Within();
    }
}

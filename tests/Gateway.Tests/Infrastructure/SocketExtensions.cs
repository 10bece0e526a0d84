using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

internal static class SocketExtensions
{
    public static async Task SendAllAsync(this Socket socket, byte[] data) =>
        await socket.SendAsync(data, SocketFlags.None).Within();

    public static Task SendTextAsync(this Socket socket, string text) => socket.SendAllAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads exactly <paramref name="count"/> bytes, failing on EOF or timeout.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(this Socket socket, int count, TimeSpan? timeout = null)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Default);
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"EOF after {read} of {count} bytes.");
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>Reads until EOF (returns what came before it) or fails on timeout.</summary>
    public static async Task<byte[]> ReceiveToEndAsync(this Socket socket, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Default);
        var all = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, n);
        }
    }
}

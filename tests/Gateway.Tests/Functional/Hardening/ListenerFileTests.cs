using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Hardening;

/// <summary>Listener files: only regular files are read, probes are bounded and outside the lock, only the listener's own socket is removed.</summary>
public sealed class ListenerFileTests
{
    [Fact]
    public async Task CertificateIsAFifo_400AtOnce_AndOtherListenerChangesGoOn()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var fifo = Path.Combine(folder.Path, "cert.pem");
        using var mkfifo = Process.Start("mkfifo", fifo)!;
        await mkfifo.WaitForExitAsync().Within();
        Assert.Equal(0, mkfifo.ExitCode);

        var response = app.PostAsync("/api/listeners", new { name = "fifo", protocol = "tcp", port = 0, tls = new { certificatePath = fifo } });
        await ApiAssert.ProblemAsync(await response.Within(TimeSpan.FromSeconds(10)), HttpStatusCode.BadRequest, "not a regular file");
        await app.CreateListenerAsync(new { name = "after", protocol = "tcp", port = 0 });
    }

    [Fact]
    public async Task UnixPathOwnedByAServerWithAFullBacklog_409Bounded_AndDoesNotHoldUpOthers()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "busy.sock");
        using var owner = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        owner.Bind(new UnixDomainSocketEndPoint(path));
        owner.Listen(0);
        // Fill the backlog: these connect (or wait) and are never accepted.
        var fillers = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            try
            {
                filler.Connect(new UnixDomainSocketEndPoint(path));
            }
            catch (SocketException)
            {
                // EAGAIN once the backlog is full.
            }

            fillers.Add(filler);
        }

        try
        {
            var busy = app.PostAsync("/api/listeners", new { name = "busy", protocol = "unix", path });
            var other = app.PostAsync("/api/listeners", new { name = "other", protocol = "tcp", port = 0 });
            Assert.Equal(HttpStatusCode.Created, (await other.Within(TimeSpan.FromSeconds(10))).StatusCode);
            await ApiAssert.ProblemAsync(await busy.Within(TimeSpan.FromSeconds(10)), HttpStatusCode.Conflict);
            Assert.True(File.Exists(path), "a live owner's socket file was removed");
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Theory]
    [InlineData("file")]
    [InlineData("symlink")]
    [InlineData("other socket")]
    public async Task DeleteUnixListener_RemovesOnlyItsOwnSocket(string replacement)
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "u.sock");
        var target = Path.Combine(folder.Path, "precious.txt");
        File.WriteAllText(target, "keep me");
        await app.CreateListenerAsync(new { name = "u", protocol = "unix", path });
        File.Delete(path);
        using var otherSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        switch (replacement)
        {
            case "file":
                File.WriteAllText(path, "someone else's");
                break;
            case "symlink":
                File.CreateSymbolicLink(path, target);
                break;
            default:
                otherSocket.Bind(new UnixDomainSocketEndPoint(path));
                break;
        }

        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.DeleteAsync("/api/listeners/u").Within()).StatusCode);
        Assert.True(Path.Exists(path), $"the {replacement} put at the path was removed");
        Assert.Equal("keep me", File.ReadAllText(target));
    }

    [Fact]
    public async Task DeleteUnixListener_RemovesItsOwnSocketFile()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "u.sock");
        await app.CreateListenerAsync(new { name = "u", protocol = "unix", path });
        Assert.True(File.Exists(path));
        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.DeleteAsync("/api/listeners/u").Within()).StatusCode);
        Assert.False(Path.Exists(path));
    }
}

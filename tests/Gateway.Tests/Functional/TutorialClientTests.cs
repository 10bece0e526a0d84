using System.Diagnostics;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>The Python tutorial's chat client (repaired, tests/tutorial) against the gateway, as a user runs it.</summary>
public sealed class TutorialClientTests
{
    [Fact]
    public async Task TutorialChatClient_SendsToGateway_PrintsWhatTheGatewaySends()
    {
        await using var app = await GatewayApp.StartAsync();
        var script = Path.Combine(TestPaths.RepositoryRoot, "tests", "tutorial", "chat_client.py");
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(app.TcpPort.ToString());
        using var python = Process.Start(info)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        try
        {
            await python.StandardInput.WriteLineAsync("hello gateway");
            await python.StandardInput.FlushAsync();

            var session = await Timeouts.Eventually(async () =>
                (await app.GetAsync<WireSession[]>("/api/sessions")).FirstOrDefault(s => s.BytesIn == 13), "the client's message");
            var sent = await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "hi from the gateway" });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, sent.StatusCode);
            await python.StandardInput.WriteLineAsync("q");
            await python.StandardInput.FlushAsync();
            await python.WaitForExitAsync().Within();

            Assert.Equal(0, python.ExitCode);
            Assert.Contains("Received from server: hi from the gateway", await stdout.Within());
            var message = Assert.Single(await app.MessagesAsync(session.Id), m => m.Direction == "in");
            Assert.Equal("hello gateway", Encoding.UTF8.GetString(message.Data));
            var closed = await Timeouts.Eventually(async () =>
            {
                var s = await app.GetAsync<WireSession>($"/api/sessions/{session.Id}");
                return s.State == "closed" ? s : null;
            }, "the session to close when the client quits");
            Assert.Equal("closed by peer", closed.CloseReason);
        }
        finally
        {
            if (!python.HasExited)
            {
                python.Kill();
            }
        }
    }
}

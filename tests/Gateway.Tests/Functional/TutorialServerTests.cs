using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>The Python tutorial's chat server (repaired, tests/tutorial) accepting the gateway's outbound connection.</summary>
public sealed class TutorialServerTests
{
    [Fact]
    public async Task TutorialChatServer_AcceptsTheGatewaysConnection_AndChats()
    {
        await using var app = await GatewayApp.StartAsync();
        int port;
        using (var probe = new PortSquatter())
        {
            port = probe.Port;
        }

        var info = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "tests", "tutorial", "chat_server.py"));
        info.ArgumentList.Add(port.ToString());
        info.ArgumentList.Add("127.0.0.1");
        using var python = Process.Start(info)!;
        var stdout = python.StandardOutput.ReadToEndAsync();
        try
        {
            // The server needs a moment to bind; the gateway reports 502 until it listens.
            var session = await Timeouts.Eventually(async () =>
            {
                var response = await app.PostAsync("/api/connections", new { host = "127.0.0.1", port });
                return response.StatusCode == HttpStatusCode.Created
                    ? await response.Content.ReadFromJsonAsync<WireSession>(GatewayApp.Json)
                    : null;
            }, "the tutorial server to accept");

            await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "hello server" });
            await python.StandardInput.WriteLineAsync("hello gateway");
            await python.StandardInput.FlushAsync();
            var messages = await app.MessagesUntilAsync(session.Id, m => m.Any(x => x.Direction == "in"), "the server's reply");

            Assert.Equal("hello gateway", Encoding.UTF8.GetString(messages.Single(m => m.Direction == "in").Data));
            Assert.Equal(HttpStatusCode.NoContent, (await app.Http.DeleteAsync($"/api/sessions/{session.Id}").Within()).StatusCode);
            await python.WaitForExitAsync().Within();
            Assert.Equal(0, python.ExitCode);
            var printed = await stdout.Within();
            Assert.Contains("Connection from: ('127.0.0.1',", printed);
            Assert.Contains("from connected user: hello server", printed);
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

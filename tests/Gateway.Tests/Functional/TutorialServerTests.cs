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

        using var server = TutorialScript.Start("chat_server.py", port.ToString(), "127.0.0.1");

        // The server needs a moment to bind; the gateway reports 502 until it listens.
        var session = await Timeouts.Eventually(async () =>
        {
            var response = await app.PostAsync("/api/connections", new { host = "127.0.0.1", port });
            return response.StatusCode == HttpStatusCode.Created
                ? await response.Content.ReadFromJsonAsync<WireSession>(GatewayApp.Json)
                : null;
        }, "the tutorial server to accept");

        await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "hello server" });
        await server.TypeAsync("hello gateway");
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Any(x => x.Direction == "in"), "the server's reply");

        Assert.Equal("hello gateway", Encoding.UTF8.GetString(messages.Single(m => m.Direction == "in").Data));
        Assert.Equal(HttpStatusCode.NoContent, (await app.Http.DeleteAsync($"/api/sessions/{session.Id}").Within()).StatusCode);
        await server.WaitForExitAsync();
        Assert.Equal(0, server.ExitCode);
        var printed = await server.Output.Within();
        Assert.Contains("Connection from: ('127.0.0.1',", printed);
        Assert.Contains("from connected user: hello server", printed);
    }
}

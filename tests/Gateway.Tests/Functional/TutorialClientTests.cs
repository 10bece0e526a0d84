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
        using var client = TutorialScript.Start("chat_client.py", app.TcpPort.ToString());

        await client.TypeAsync("hello gateway");
        var session = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions")).FirstOrDefault(s => s.BytesIn == 13), "the client's message");
        var sent = await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = "hi from the gateway" });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, sent.StatusCode);
        await client.TypeAsync("q");
        await client.WaitForExitAsync();

        Assert.Equal(0, client.ExitCode);
        Assert.Contains("Received from server: hi from the gateway", await client.Output.Within());
        var message = Assert.Single(await app.MessagesAsync(session.Id), m => m.Direction == "in");
        Assert.Equal("hello gateway", Encoding.UTF8.GetString(message.Data));
        var closed = await Timeouts.Eventually(async () =>
        {
            var s = await app.GetAsync<WireSession>($"/api/sessions/{session.Id}");
            return s.State == "closed" ? s : null;
        }, "the session to close when the client quits");
        Assert.Equal("closed by peer", closed.CloseReason);
    }
}

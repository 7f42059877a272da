// GraphiQL for normledger: served from the binary (no CDN), with a token field whose value is
// sent as the bearer token on queries and in the websocket's init payload for subscriptions.
(function () {
  'use strict';
  var KEY = 'normledger.token';
  var DEFAULT_QUERY = [
    '# normledger: the ledger of normative documents (行政规范性文件).',
    '#',
    '# Paste a token in the field above (normledger token create, or the demo tokens that',
    '# scripts/run prints). The Docs panel lists every query and mutation; Ctrl-Enter runs.',
    '',
    '{',
    '  documents(first: 5) {',
    '    edges { node { id title status issuance { number effectiveOn } } }',
    '  }',
    '  projectionStatus { name lagEvents lastError }',
    '}',
    ''
  ].join('\n');
  var form = document.getElementById('token-bar');
  var input = document.getElementById('token');
  var state = document.getElementById('token-state');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  var url = new URL('/graphql', window.location.href);
  var wsUrl = new URL('/graphql', window.location.href);
  wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  input.value = window.localStorage.getItem(KEY) || '';

  function render() {
    var token = input.value.trim();
    var bearer = token ? { Authorization: 'Bearer ' + token } : {};
    state.textContent = token ? '已设置 set' : '未设置 not set';
    var fetcher = GraphiQL.createFetcher({
      url: url.toString(),
      subscriptionUrl: wsUrl.toString(),
      headers: bearer,
      wsConnectionParams: token ? { authorization: 'Bearer ' + token } : {}
    });
    root.render(React.createElement(GraphiQL, {
      key: token,
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      visiblePlugin: 'Documentation Explorer',
      defaultEditorToolsVisibility: true
    }));
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    window.localStorage.setItem(KEY, input.value.trim());
    render();
  });
  render();
})();

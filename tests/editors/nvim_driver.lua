-- Neovim 0.7 headless: open the file, wait for FT201, apply "Disable FT201 for this line"
-- through the real code-action UI path, wait for the diagnostic to go, save, quit.
-- Writes what it saw as JSON to $RAGTUNE_EDITOR_OUT.
local out_path = os.getenv('RAGTUNE_EDITOR_OUT')
local root = os.getenv('RAGTUNE_ROOT')
local cmd = vim.fn.json_decode(os.getenv('RAGTUNE_SERVER_CMD'))
local want_title = 'Disable FT201 for this line'
local report = { stage = 'start', codes_seen = {}, actions = {} }
local stage = 'waiting-for-ft201'
local done = false

local function finish(ok, why)
  if done then return end
  done = true
  report.ok = ok
  report.why = why
  local f = io.open(out_path, 'w')
  f:write(vim.fn.json_encode(report))
  f:close()
  if ok then vim.cmd('qall!') else vim.cmd('cquit 1') end
end

vim.defer_fn(function() finish(false, 'timeout in stage ' .. stage) end, tonumber(os.getenv('RAGTUNE_EDITOR_TIMEOUT_MS') or '40000'))

local function codes_in(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    found[#found + 1] = { code = d.code, lnum = d.lnum, col = d.col }
  end
  return found
end

local function check()
  if done then return end
  local buf = vim.api.nvim_get_current_buf()
  local diags = codes_in(buf)
  report.codes_seen[#report.codes_seen + 1] = diags
  if stage == 'waiting-for-ft201' then
    for _, d in ipairs(diags) do
      if d.code == 'FT201' then
        stage = 'applying'
        vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
        vim.ui.select = function(items, _, on_choice)
          for _, item in ipairs(items) do
            report.actions[#report.actions + 1] = item[2].title
          end
          for _, item in ipairs(items) do
            if item[2].title == want_title then
              stage = 'waiting-for-clear'
              on_choice(item)
              return
            end
          end
          finish(false, 'no action titled ' .. want_title)
        end
        vim.lsp.buf.code_action({ only = { 'quickfix' } })
        return
      end
    end
  elseif stage == 'waiting-for-clear' then
    for _, d in ipairs(diags) do
      if d.code == 'FT201' then return end
    end
    local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
    if text:find('ragtune: ignore%[FT201%]') then
      stage = 'saved'
      vim.cmd('write')
      finish(true, 'applied and saved')
    end
  end
end

local default = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  default(err, result, ctx, config)
  vim.schedule(check)
end

local id = vim.lsp.start_client({
  name = 'ragtune',
  cmd = cmd,
  root_dir = root,
  flags = { debounce_text_changes = 0 },
  on_exit = function(code) if not done then vim.schedule(function() finish(false, 'server exited ' .. code) end) end end,
})
vim.lsp.buf_attach_client(0, id)

"""The course's applications (part II of the book): each module is the tested code behind one chapter.

``forecasting``       forecasting a series: baselines, an LSTM forecaster, multi-step forecasts, intervals
``date_translation``  written dates to ISO dates with an encoder-decoder with attention, greedy and beam search
``classification``    surnames to their language: packed batches, a confusion matrix, architectures compared
``tagging``           names and dates in sentences: BIO tags, span-level scores, one direction or two
``language_model``    a character language model of the Python documentation: truncated BPTT, sampling
``ctc``               reading unsegmented sequences with CTC, on a stand-in for speech and handwriting
"""
